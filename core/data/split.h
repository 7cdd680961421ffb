#pragma once
// Which samples train and which validate, and the order training visits them in: all of it a pure
// function of a seed, so a run can be repeated and resumed. The shuffle is written here (Fisher-
// Yates over std::mt19937_64, whose output the standard fixes, with an unbiased bounded draw of
// our own) because std::shuffle and std::uniform_int_distribution differ between standard
// libraries: the same seed gives the same orders with libstdc++, libc++ and MSVC.

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace vltune::data {

// An unbiased draw in [0, bound) (bound >= 1): rejection of the low 2^64 mod bound values, then
// the remainder (arc4random_uniform's method).
uint64_t bounded_draw(std::mt19937_64& rng, uint64_t bound);

// `items` in a random order: Fisher-Yates from the back, j = bounded_draw(i + 1).
std::vector<int64_t> shuffled(std::vector<int64_t> items, uint64_t seed);

// How a dataset is split (LLaMA-Factory's `val_size`, with `seed`).
struct SplitParams {
  double val_size = 0.0;  // < 1: fraction of the samples that validate (rounded up); >= 1: their count; 0: none
  uint64_t seed = 42;     // the split's seed (LLaMA-Factory: the training seed)
};

// Sample indices, each list in increasing order.
struct Split {
  std::vector<int64_t> train;       // the samples training visits
  std::vector<int64_t> validation;  // the held-out samples
};

// Splits `indices` (the usable records) at random. Throws vltune::Error naming val_size when it is
// negative, not a whole count above 1, or leaves no sample to train on.
Split split_samples(std::span<const int64_t> indices, const SplitParams& params = {});

// The order one epoch visits `indices` in: a shuffle seeded by (seed, epoch), or `indices` as given
// when `shuffle` is off. Different epochs give different orders; the same (seed, epoch) the same.
std::vector<int64_t> epoch_order(std::span<const int64_t> indices, uint64_t seed, int64_t epoch, bool shuffle = true);

}  // namespace vltune::data
