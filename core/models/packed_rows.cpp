#include "core/models/packed_rows.h"

#include "core/device_transfer.h"
#include "core/error.h"
#include "core/models/blocks.h"

namespace vltune::models {

torch::Tensor positions_within_segments(const torch::Tensor& segment_ids) {
  if (segment_ids.dim() != 2) throw Error("segment_ids should be [B, T], got " + c10::str(segment_ids.sizes()));
  const auto seg = segment_ids.to(torch::kCPU, torch::kLong).contiguous();
  auto out = torch::zeros(seg.sizes(), torch::kLong);
  auto s = seg.accessor<int64_t, 2>();
  auto o = out.accessor<int64_t, 2>();
  for (int64_t row = 0; row < seg.size(0); ++row) {
    int64_t previous = 0, next = 0;
    for (int64_t j = 0; j < seg.size(1); ++j) {
      if (s[row][j] == 0) continue;
      if (s[row][j] != previous) next = 0;
      previous = s[row][j];
      o[row][j] = next++;
    }
  }
  return out;
}

torch::Tensor block_causal_mask(const torch::Tensor& segment_ids, torch::Dtype dtype, torch::Device device) {
  const auto seg = to_device(segment_ids.to(torch::kLong), device);  // [B, T]
  const int64_t t = seg.size(1);
  const auto opts = torch::TensorOptions().dtype(torch::kLong).device(device);
  const auto causal = torch::arange(t, opts).unsqueeze(0) <= torch::arange(t, opts).unsqueeze(1);  // [T, T]: k <= q
  const auto same = seg.unsqueeze(2) == seg.unsqueeze(1);                                          // [B, T, T]
  const auto allowed = same & causal.unsqueeze(0) & seg.ne(0).unsqueeze(1);                        // keys not padding
  auto mask = torch::zeros({seg.size(0), 1, t, t}, torch::TensorOptions().dtype(dtype).device(device));
  return mask.masked_fill(allowed.unsqueeze(1).logical_not(), mask_lowest(dtype));
}

}  // namespace vltune::models
