#include "core/models/image_slots.h"

#include <string>

#include "core/device_transfer.h"
#include "core/error.h"

namespace vltune::models {

torch::Tensor image_token_positions(const torch::Tensor& input_ids, const torch::Tensor& host_input_ids, int64_t image_token_id) {
  // nonzero on the CPU: no device is involved.
  return host_view(input_ids, host_input_ids, "host_input_ids").reshape({-1}).eq(image_token_id).nonzero().reshape({-1});
}

torch::Tensor fill_image_tokens(const torch::Tensor& embeds, const torch::Tensor& positions, const torch::Tensor& features) {
  if (positions.size(0) != features.size(0))
    throw FormatError("input_ids hold " + std::to_string(positions.size(0)) + " image tokens but the images make " +
                      std::to_string(features.size(0)));
  if (positions.size(0) == 0) return embeds;
  const int64_t hidden = embeds.size(-1);
  // [B, T, hidden] -> [B*T, hidden], the image rows copied in -> [B, T, hidden]
  return embeds.reshape({-1, hidden})
      .index_copy(0, to_device(positions, embeds.device()), features.to(embeds.scalar_type()))
      .view(embeds.sizes());
}

}  // namespace vltune::models
