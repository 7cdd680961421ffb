#include "core/eval/metrics.h"

#include <charconv>
#include <cmath>
#include <system_error>

#include "core/error.h"
#include "core/eval/bleu.h"
#include "core/eval/python_text.h"
#include "core/eval/rouge.h"
#include "core/log.h"

namespace vltune::eval {
namespace {

std::vector<std::u32string> characters_of(std::u32string_view text) {
  std::vector<std::u32string> out;
  out.reserve(text.size());
  for (char32_t c : text) out.emplace_back(1, c);
  return out;
}

// numpy's pairwise_sum for float64 (loops_utils.h), over values[0..n).
double pairwise_sum(const double* values, size_t n) {
  constexpr size_t kBlock = 128;
  if (n < 8) {
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) sum += values[i];
    return sum;
  }
  if (n <= kBlock) {
    double r[8];
    for (size_t j = 0; j < 8; ++j) r[j] = values[j];
    size_t i = 8;
    for (; i < n - n % 8; i += 8)
      for (size_t j = 0; j < 8; ++j) r[j] += values[i + j];
    double sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) sum += values[i];
    return sum;
  }
  size_t half = n / 2;
  half -= half % 8;
  return pairwise_sum(values, half) + pairwise_sum(values + half, n - half);
}

}  // namespace

double python_round(double x, int ndigits) {
  if (!std::isfinite(x)) return x;
  char buf[400];
  const auto printed = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::fixed, ndigits);
  if (printed.ec != std::errc()) throw Error("python_round: cannot print " + std::to_string(x));
  double out = 0.0;
  std::from_chars(buf, printed.ptr, out);
  return out;
}

double numpy_mean(const std::vector<double>& values) {
  if (values.empty()) return 0.0;
  return pairwise_sum(values.data(), values.size()) / static_cast<double>(values.size());
}

SimilarityScores compute_similarity(std::string_view prediction, std::string_view label,
                                    const JiebaSegmenter* segmenter) {
  const std::u32string pred = to_code_points(prediction);
  const std::u32string ref = to_code_points(label);
  const RougeScores rouge = segmenter ? rouge_over_tokens(segmenter->cut(pred), segmenter->cut(ref))
                                      : rouge_over_tokens(characters_of(pred), characters_of(ref));
  SimilarityScores s;
  s.rouge_1 = python_round(rouge.rouge_1 * 100, 4);
  s.rouge_2 = python_round(rouge.rouge_2 * 100, 4);
  s.rouge_l = python_round(rouge.rouge_l * 100, 4);
  s.bleu_4 = python_round(sentence_bleu4(pred, ref) * 100, 4);
  return s;
}

SimilarityScores mean_similarity(const std::vector<SimilarityScores>& samples) {
  std::vector<double> bleu, r1, r2, rl;
  for (const SimilarityScores& s : samples) {
    bleu.push_back(s.bleu_4);
    r1.push_back(s.rouge_1);
    r2.push_back(s.rouge_2);
    rl.push_back(s.rouge_l);
  }
  return {numpy_mean(bleu), numpy_mean(r1), numpy_mean(r2), numpy_mean(rl)};
}

SimilarityScorer::SimilarityScorer(const SimilarityParams& params)
    : m_jieba_dir(jieba_data_dir(params.jieba_dir)), m_jieba(shared_jieba_segmenter(m_jieba_dir)) {
  if (m_jieba) return;
  std::string message = kRougeOverCharacters;
  message += ": looked in ";
  message += m_jieba_dir.string();
  log_warning(message);
}

SimilarityScores SimilarityScorer::score(std::string_view prediction, std::string_view label) const {
  return compute_similarity(prediction, label, m_jieba.get());
}

}  // namespace vltune::eval
