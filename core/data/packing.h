#pragma once
// Sequence packing, LLaMA-Factory's `packing` / `neat_packing` (PackedSupervisedDatasetProcessor):
// the training samples grouped into rows of at most cutoff_len tokens, so a batch of short
// samples stops paying for the padding of its longest one. Which samples share a row is decided
// once, from every sample's encoded length, exactly as LLaMA-Factory decides it; each epoch then
// shuffles the packs, not the samples.
//
// How packed samples attend to each other and count their positions: core/models/packed_rows.h.

#include <cstdint>
#include <functional>
#include <span>
#include <stop_token>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/sample_encoder.h"

namespace vltune::data {

// LLaMA-Factory's greedy_knapsack: the lengths sorted; each knapsack then takes, again and again,
// the longest remaining length that fits in what it has left of `capacity`, until none fits.
// -> per knapsack the lengths it took, in the order taken. Lengths above capacity are never taken:
// leave them out before (plan_packs does).
std::vector<std::vector<int64_t>> greedy_knapsack(std::vector<int64_t> lengths, int64_t capacity);

struct PackingParams {
  int64_t capacity = 2047;  // most tokens in one packed row: LLaMA-Factory's cutoff_len less the 1 its packing takes off
  int64_t chunk = 1000;     // samples packed among themselves: LLaMA-Factory packs each preprocessing batch (`preprocessing_batch_size`) alone
};

struct PackPlan {
  std::vector<std::vector<int64_t>> packs;  // the samples of each row, in row order
  std::vector<int64_t> dropped;             // samples longer than the capacity (LLaMA-Factory drops them with a warning)
};

// Packs `samples` (dataset indices, in order) whose encoded lengths are `lengths`, as
// LLaMA-Factory does: per chunk of `chunk` samples, greedy_knapsack over their lengths, each
// knapsack's length taken by the last sample of that length not yet packed. Throws vltune::Error
// when the spans differ in size or a parameter is below 1.
PackPlan plan_packs(std::span<const int64_t> samples, std::span<const int64_t> lengths, const PackingParams& params);

// The encoded length (input_ids) of each of `samples`, measured by `encoder` on `threads` threads
// (SampleEncoder::encoded_length: images decoded for their upright size, not processed). `progress`, when given, is called with the count done, from the workers. Throws the
// failure of the earliest sample that failed (its message names the record's file and row);
// returns nothing once `stop` is requested.
std::vector<int64_t> encoded_lengths(const SampleEncoder& encoder, std::span<const Record> records,
                                     std::span<const int64_t> samples, int threads, std::stop_token stop = {},
                                     const std::function<void(int64_t done)>& progress = {});

// One pack's examples (encoded in pack order) as one: ids, labels and images concatenated in
// order (Idefics3 tiles padded bottom/right to the largest, as collate pads them), `packed` set
// to each part's record and length. Throws vltune::Error for an empty pack, preference pairs, or
// CLIP examples (labels empty): neither is packed.
EncodedExample pack_examples(std::vector<EncodedExample> parts);

}  // namespace vltune::data
