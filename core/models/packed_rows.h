#pragma once
// Several samples packed into one row (LLaMA-Factory's `packing` and `neat_packing`): which
// sample each token belongs to, and the positions and attention that follow from it.
//   packing       the row is one causal sequence: every token attends to all earlier ones, the
//                 other samples' included. Positions restart at each sample (the position_ids
//                 LLaMA-Factory's packed rows carry) for LLaVA and Idefics3; Qwen's M-RoPE
//                 positions run on over the row (its collator computes them over the whole row).
//   neat_packing  each sample attends only to itself (a block-diagonal causal mask) and its
//                 positions restart, so a packed sample computes what it computes alone.

#include <torch/torch.h>

namespace vltune::models {

struct PackedRows {
  torch::Tensor segment_ids;  // [B, T] int64 on the CPU: each token's sample within its row, from 1; 0 on padding. Undefined: one sample per row
  bool isolated = false;      // neat_packing: a sample attends only to its own tokens

  bool packed() const { return segment_ids.defined(); }
};

// The segments a decoder isolates: `rows`' segment ids when its samples are isolated, else undefined.
inline torch::Tensor isolated_segments(const PackedRows& rows) { return rows.isolated ? rows.segment_ids : torch::Tensor(); }

// Each token's position within its own sample (0 where a sample starts), 0 on padding.
// segment_ids [B, T] on the CPU -> [B, T] int64 on the CPU
torch::Tensor positions_within_segments(const torch::Tensor& segment_ids);

// The additive mask of isolated samples: a query sees the keys of its own sample at or before it,
// never padding (a padding query sees nothing; masked entries hold the dtype's lowest value, as
// causal_mask's do, so such a row stays finite). segment_ids [B, T] (any device; sent to `device`
// without waiting) -> [B, 1, T, T] in `dtype` on `device`
torch::Tensor block_causal_mask(const torch::Tensor& segment_ids, torch::Dtype dtype, torch::Device device);

}  // namespace vltune::models
