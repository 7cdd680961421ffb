#include "core/data/split.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <utility>

#include "core/error.h"

namespace vltune::data {

namespace {

// splitmix64's finaliser: spreads a (seed, stream) pair over the generator's seed space, so nearby
// seeds and epochs give unrelated sequences.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Stream 0 splits; stream 1 + e orders epoch e.
uint64_t stream_seed(uint64_t seed, uint64_t stream) { return mix(seed ^ mix(stream)); }

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

uint64_t bounded_draw(std::mt19937_64& rng, uint64_t bound) {
  if (bound <= 1) return 0;
  const uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound: the values that would bias
  for (;;) {
    const uint64_t r = rng();
    if (r >= threshold) return r % bound;
  }
}

std::vector<int64_t> shuffled(std::vector<int64_t> items, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (size_t i = items.size(); i > 1; --i) {
    const auto j = static_cast<size_t>(bounded_draw(rng, i));
    std::swap(items[i - 1], items[j]);
  }
  return items;
}

Split split_samples(std::span<const int64_t> indices, const SplitParams& params) {
  const auto n = static_cast<int64_t>(indices.size());
  const double v = params.val_size;
  if (!(v >= 0) || !std::isfinite(v))
    throw Error("val_size " + number(v) + ": expected a fraction in [0, 1) or a count of samples");
  int64_t n_val = 0;
  if (v >= 1) {
    if (v != std::floor(v)) throw Error("val_size " + number(v) + ": a count of samples must be a whole number");
    n_val = static_cast<int64_t>(v);
  } else {
    // datasets' train_test_split: ceil(test_size * n) in floating point, as LLaMA-Factory gets it.
    n_val = static_cast<int64_t>(std::ceil(v * static_cast<double>(n)));
  }
  if (n_val >= n && n_val > 0)
    throw Error("val_size " + number(v) + " leaves no sample to train on (" + std::to_string(n_val) +
                " of " + std::to_string(n) + " would validate)");
  Split out;
  if (n_val == 0) {
    out.train.assign(indices.begin(), indices.end());
  } else {
    const std::vector<int64_t> order = shuffled({indices.begin(), indices.end()}, stream_seed(params.seed, 0));
    out.validation.assign(order.begin(), order.begin() + n_val);
    out.train.assign(order.begin() + n_val, order.end());
  }
  std::sort(out.train.begin(), out.train.end());
  std::sort(out.validation.begin(), out.validation.end());
  return out;
}

std::vector<int64_t> epoch_order(std::span<const int64_t> indices, uint64_t seed, int64_t epoch, bool shuffle) {
  std::vector<int64_t> items(indices.begin(), indices.end());
  if (!shuffle) return items;
  return shuffled(std::move(items), stream_seed(seed, 1 + static_cast<uint64_t>(epoch)));
}

}  // namespace vltune::data
