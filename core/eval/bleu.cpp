#include "core/eval/bleu.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace vltune::eval {
namespace {

constexpr int kMaxOrder = 4;
constexpr double kWeight = 0.25;  // uniform weights of sentence_bleu's default

using NgramCounts = std::unordered_map<std::u32string_view, int64_t>;

NgramCounts count_ngrams(std::u32string_view text, size_t n) {
  NgramCounts counts;
  if (text.size() < n) return counts;
  for (size_t i = 0; i + n <= text.size(); ++i) ++counts[text.substr(i, n)];
  return counts;
}

// modified_precision(): clipped matches over hypothesis n-grams, the denominator at least 1.
struct Precision {
  int64_t numerator = 0;
  int64_t denominator = 1;
};

Precision modified_precision(std::u32string_view hypothesis, std::u32string_view reference, size_t n) {
  const NgramCounts hyp = count_ngrams(hypothesis, n);
  const NgramCounts ref = count_ngrams(reference, n);
  Precision p;
  int64_t total = 0;
  for (const auto& [gram, count] : hyp) {
    const auto it = ref.find(gram);
    p.numerator += std::min(count, it == ref.end() ? int64_t{0} : it->second);
    total += count;
  }
  p.denominator = std::max<int64_t>(1, total);
  return p;
}

// math.fsum: the correctly rounded sum (Shewchuk's partials, with CPython's final half-even fix).
double python_fsum(const std::vector<double>& values) {
  std::vector<double> partials;
  for (double x : values) {
    size_t kept = 0;
    for (double y : partials) {
      if (std::fabs(x) < std::fabs(y)) std::swap(x, y);
      const double hi = x + y;
      const double lo = y - (hi - x);
      if (lo != 0.0) partials[kept++] = lo;
      x = hi;
    }
    partials.resize(kept);
    if (x != 0.0) partials.push_back(x);
  }
  if (partials.empty()) return 0.0;
  size_t n = partials.size();
  double hi = partials[--n];
  double lo = 0.0;
  while (n > 0) {
    const double x = hi;
    const double y = partials[--n];
    hi = x + y;
    lo = y - (hi - x);
    if (lo != 0.0) break;
  }
  // Round half-even across partials: the remaining ones decide which way a tie goes.
  if (n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0))) {
    const double y = lo * 2.0;
    const double x = hi + y;
    if (y == x - hi) hi = x;
  }
  return hi;
}

}  // namespace

double sentence_bleu4(std::u32string_view hypothesis, std::u32string_view reference) {
  std::array<Precision, kMaxOrder> p{};
  for (size_t n = 1; n <= kMaxOrder; ++n) p[n - 1] = modified_precision(hypothesis, reference, n);
  if (p[0].numerator == 0) return 0.0;

  const auto hyp_len = static_cast<int64_t>(hypothesis.size());
  const auto ref_len = static_cast<int64_t>(reference.size());
  // brevity_penalty(closest_ref_len, hyp_len); hyp_len > 0 here since a unigram matched.
  const double bp = hyp_len > ref_len
                        ? 1.0
                        : std::exp(1.0 - static_cast<double>(ref_len) / static_cast<double>(hyp_len));

  // SmoothingFunction.method3: the k-th precision with no match becomes 1 / (2^k * denominator).
  std::vector<double> weighted_logs;
  int64_t k = 1;
  for (const Precision& pi : p) {
    double value;
    if (pi.numerator == 0) {
      value = 1.0 / static_cast<double>((int64_t{1} << k) * pi.denominator);
      ++k;
    } else {
      value = static_cast<double>(pi.numerator) / static_cast<double>(pi.denominator);
    }
    weighted_logs.push_back(kWeight * std::log(value));
  }
  return bp * std::exp(python_fsum(weighted_logs));
}

}  // namespace vltune::eval
