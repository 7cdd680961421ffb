#pragma once
// The image tokens of a batch, found on the host and filled on the device. Counting them with
// (ids == image_token).sum().item() and filling them with masked_scatter each waited for the card;
// the positions worked out from the batch's CPU ids and sent as an index list do not.

#include <cstdint>

#include <torch/torch.h>

namespace vltune::models {

// The flat positions (row * T + column) of every `image_token_id` in `input_ids` [B, T], in order,
// read from `host_input_ids` (the same on the CPU; undefined: input_ids read back, core/
// device_transfer.h's host_view). -> [slots] int64 on the CPU
torch::Tensor image_token_positions(const torch::Tensor& input_ids, const torch::Tensor& host_input_ids, int64_t image_token_id);

// `embeds` [B, T, hidden] with the rows at `positions` (from image_token_positions) replaced by
// `features` [slots, hidden] in order, as embeds.masked_scatter(is_image, features) gives.
// Throws FormatError when the counts differ (naming both).
torch::Tensor fill_image_tokens(const torch::Tensor& embeds, const torch::Tensor& positions, const torch::Tensor& features);

}  // namespace vltune::models
