#include "core/data/packing.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <ATen/ATen.h>

#include "core/error.h"

namespace vltune::data {

std::vector<std::vector<int64_t>> greedy_knapsack(std::vector<int64_t> lengths, int64_t capacity) {
  for (int64_t n : lengths)
    if (n > capacity || n < 1)
      throw Error("greedy_knapsack: a length of " + std::to_string(n) + " cannot go in a knapsack of " + std::to_string(capacity));
  // A multiset: Python's sorted list with bisect and pop, in O(log n) a step.
  std::multiset<int64_t> left(lengths.begin(), lengths.end());
  std::vector<std::vector<int64_t>> knapsacks;
  while (!left.empty()) {
    std::vector<int64_t> knapsack;
    int64_t remaining = capacity;
    for (;;) {
      auto it = left.upper_bound(remaining);  // bisect.bisect: past the last length <= remaining
      if (it == left.begin()) break;
      --it;
      remaining -= *it;
      knapsack.push_back(*it);
      left.erase(it);
    }
    knapsacks.push_back(std::move(knapsack));
  }
  return knapsacks;
}

PackPlan plan_packs(std::span<const int64_t> samples, std::span<const int64_t> lengths, const PackingParams& params) {
  if (samples.size() != lengths.size())
    throw Error("plan_packs: " + std::to_string(samples.size()) + " samples but " + std::to_string(lengths.size()) + " lengths");
  if (params.capacity < 1 || params.chunk < 1)
    throw Error("plan_packs: capacity and chunk should be at least 1, got " + std::to_string(params.capacity) + " and " +
                std::to_string(params.chunk));
  PackPlan plan;
  const auto chunk = static_cast<size_t>(params.chunk);
  for (size_t begin = 0; begin < samples.size(); begin += chunk) {
    const size_t end = std::min(samples.size(), begin + chunk);
    std::vector<int64_t> kept;
    std::map<int64_t, std::vector<int64_t>> by_length;  // length2indexes
    for (size_t i = begin; i < end; ++i) {
      if (lengths[i] > params.capacity) {
        plan.dropped.push_back(samples[i]);
        continue;
      }
      kept.push_back(lengths[i]);
      by_length[lengths[i]].push_back(samples[i]);
    }
    for (const auto& knapsack : greedy_knapsack(std::move(kept), params.capacity)) {
      std::vector<int64_t> pack;
      for (int64_t length : knapsack) {
        auto& same = by_length.at(length);
        pack.push_back(same.back());  // length2indexes[length].pop()
        same.pop_back();
      }
      plan.packs.push_back(std::move(pack));
    }
  }
  return plan;
}

std::vector<int64_t> encoded_lengths(const SampleEncoder& encoder, std::span<const Record> records,
                                     std::span<const int64_t> samples, int threads, std::stop_token stop,
                                     const std::function<void(int64_t done)>& progress) {
  std::vector<int64_t> lengths(samples.size(), -1);
  std::atomic<size_t> next{0};
  std::atomic<int64_t> done{0};
  std::mutex mutex;
  size_t failed_at = samples.size();  // the earliest failure, so the error does not depend on timing
  std::exception_ptr failure;
  auto work = [&] {
    for (;;) {
      const size_t i = next++;
      if (i >= samples.size() || stop.stop_requested()) return;
      {
        std::lock_guard lock(mutex);
        if (failed_at < i) return;
      }
      try {
        const int64_t record = samples[i];
        if (record < 0 || record >= static_cast<int64_t>(records.size()))
          throw Error("sample " + std::to_string(record) + " is not a record of the dataset");
        lengths[i] = encoder.encoded_length(records[static_cast<size_t>(record)]);
      } catch (...) {
        std::lock_guard lock(mutex);
        if (i < failed_at) {
          failed_at = i;
          failure = std::current_exception();
        }
        return;
      }
      const int64_t count = ++done;
      if (progress) progress(count);
    }
  };
  std::vector<std::jthread> pool;
  for (int k = 1; k < std::max(1, threads); ++k) pool.emplace_back(work);
  work();
  pool.clear();  // joins
  if (failure) std::rethrow_exception(failure);
  if (stop.stop_requested()) return {};
  return lengths;
}

namespace {

// Idefics3's tiles of every part in one [n, C, h, w] (and [n, h, w] mask), padded bottom/right.
void pack_tiles(const std::vector<EncodedExample>& parts, EncodedExample& out) {
  int64_t n = 0, c = 0, h = 0, w = 0;
  for (const auto& p : parts)
    if (p.pixel_values.defined()) {
      n += p.pixel_values.size(0);
      c = p.pixel_values.size(1);
      h = std::max(h, p.pixel_values.size(2));
      w = std::max(w, p.pixel_values.size(3));
    }
  if (n == 0) return;
  const bool raw = out.pixel_table.defined();
  out.pixel_values = at::zeros({n, c, h, w}, raw ? at::kByte : at::kFloat);
  out.pixel_attention_mask = at::zeros({n, h, w}, at::kLong);
  int64_t at_tile = 0;
  for (const auto& p : parts) {
    if (!p.pixel_values.defined()) continue;
    const at::Tensor& t = p.pixel_values;  // [n_i, C, h_i, w_i]
    if (raw && (t.size(2) != h || t.size(3) != w))  // a zero pad would not stay zero once normalised
      throw Error(p.where + ": uint8 tiles of different sizes cannot share a packed row");
    out.pixel_values.narrow(0, at_tile, t.size(0)).narrow(2, 0, t.size(2)).narrow(3, 0, t.size(3)).copy_(t);
    out.pixel_attention_mask.narrow(0, at_tile, t.size(0)).narrow(1, 0, t.size(2)).narrow(2, 0, t.size(3)).copy_(p.pixel_attention_mask);
    at_tile += t.size(0);
  }
}

}  // namespace

EncodedExample pack_examples(std::vector<EncodedExample> parts) {
  if (parts.empty()) throw Error("pack_examples: a pack needs at least one sample");
  EncodedExample out;
  out.index = parts.front().index;
  bool tiles = false;
  std::vector<at::Tensor> pixels, grids;
  for (auto& p : parts) {
    if (!p.rejected_input_ids.empty()) throw Error(p.where + ": preference pairs are not packed");
    if (p.labels.size() != p.input_ids.size() || p.input_ids.empty())
      throw Error(p.where + ": only chat samples with labels are packed");
    if (!p.packed_indices.empty()) throw Error(p.where + ": already packed");
    out.where += (out.where.empty() ? "" : " + ") + p.where;
    out.input_ids.insert(out.input_ids.end(), p.input_ids.begin(), p.input_ids.end());
    out.labels.insert(out.labels.end(), p.labels.begin(), p.labels.end());
    out.image_sizes.insert(out.image_sizes.end(), p.image_sizes.begin(), p.image_sizes.end());
    for (auto& note : p.notes) out.notes.push_back(p.where + ": " + note);
    out.packed_indices.push_back(p.index);
    out.packed_lengths.push_back(static_cast<int64_t>(p.input_ids.size()));
    if (p.pixel_attention_mask.defined()) tiles = true;
    if (p.pixel_values.defined()) pixels.push_back(p.pixel_values);
    if (p.image_grid_thw.defined()) grids.push_back(p.image_grid_thw);
    if (p.pixel_values.defined()) {
      const bool raw = p.pixel_values.scalar_type() == at::kByte;
      if (raw != p.pixel_table.defined() || raw != (pixels.front().scalar_type() == at::kByte))
        throw Error(out.where + ": normalised and uint8 pixels cannot share a packed row");
      if (raw) out.pixel_table = p.pixel_table;
    }
  }
  if (tiles) {
    pack_tiles(parts, out);
  } else if (!pixels.empty()) {
    for (const auto& p : pixels)
      if (p.sizes().slice(1) != pixels.front().sizes().slice(1))
        throw Error(out.where + ": their images have different processed sizes and cannot share a packed row");
    out.pixel_values = at::cat(pixels, 0);  // Qwen: [rows, C*T*P*P]; LLaVA: [images, C, H, W]
    if (!grids.empty()) out.image_grid_thw = at::cat(grids, 0);
  }
  return out;
}

}  // namespace vltune::data
