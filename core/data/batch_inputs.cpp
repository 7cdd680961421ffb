#include "core/data/batch_inputs.h"

#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "core/device_transfer.h"
#include "core/error.h"
#include "core/vision/image_ops.h"

namespace vltune::data {

namespace {

at::Tensor on(const at::Tensor& t, c10::Device device) { return to_device(t, device); }

// The batch's tensor as the host mirror when it is on the CPU (a collated batch's are).
at::Tensor host(const at::Tensor& t) { return t.defined() && t.device().is_cpu() ? t : at::Tensor(); }

void require(const Batch& batch, bool ok, const char* what) {
  if (!ok)
    throw Error(std::string("a batch collated for ") + std::string(io::model_family_name(batch.family)) +
                " cannot be given to " + what);
}

// The batch's pixels on `device` as the model takes them: float32 as collated, or uint8 sent as
// they are and normalised there through the batch's pixel_table (a lookup: the same floats).
// Idefics3's padding tiles are zeroed, as the reference pads.
at::Tensor pixels_on(const Batch& batch, c10::Device device) {
  if (!batch.pixel_values.defined() || !batch.pixel_table.defined()) return on(batch.pixel_values, device);
  const at::Tensor raw = on(batch.pixel_values, device);
  const int64_t channels = batch.pixel_table.size(0);
  int64_t outer = 0;  // raw as [outer, C, inner]: the channel is the dimension after `outer`'s
  switch (batch.family) {
    case io::ModelFamily::qwen2_vl:    // [rows, C*T*P*P]
    case io::ModelFamily::qwen2_5_vl:
    case io::ModelFamily::llava:       // [N, C, H, W]
    case io::ModelFamily::clip: outer = raw.size(0); break;
    case io::ModelFamily::idefics3: outer = raw.size(0) * raw.size(1); break;  // [B, N, C, H, W]
  }
  at::Tensor pixels = vision::normalize_with_table(raw.view({outer, channels, -1}), on(batch.pixel_table, device))
                          .view(raw.sizes());
  if (batch.real_tiles.defined()) {
    std::vector<int64_t> padding;
    const auto real = batch.real_tiles.reshape({-1}).contiguous();
    const bool* r = real.data_ptr<bool>();
    for (int64_t i = 0; i < real.numel(); ++i)
      if (!r[i]) padding.push_back(i);
    if (!padding.empty())
      pixels.view({outer, -1}).index_fill_(0, on(at::tensor(padding, at::kLong), device), 0.0);
  }
  return pixels;
}

// What every VLM's inputs hold: ids, mask and pixels on `device`, the ids' host mirror.
template <typename Inputs>
Inputs vlm_inputs(const Batch& batch, c10::Device device) {
  Inputs in;
  in.input_ids = on(batch.input_ids, device);
  in.attention_mask = on(batch.attention_mask, device);
  in.pixel_values = pixels_on(batch, device);
  in.host_input_ids = host(batch.input_ids);
  in.packed = {batch.segment_ids, batch.isolated_segments};  // read on the host only
  return in;
}

}  // namespace

models::QwenVLInputs qwen_inputs(const Batch& batch, c10::Device device) {
  require(batch, batch.family == io::ModelFamily::qwen2_vl || batch.family == io::ModelFamily::qwen2_5_vl,
          "a Qwen2-VL model");
  auto in = vlm_inputs<models::QwenVLInputs>(batch, device);
  in.image_grid_thw = batch.image_grid_thw;  // read on the host only
  in.host_attention_mask = host(batch.attention_mask);
  return in;
}

models::LlavaInputs llava_inputs(const Batch& batch, c10::Device device) {
  require(batch, batch.family == io::ModelFamily::llava, "a LLaVA model");
  return vlm_inputs<models::LlavaInputs>(batch, device);
}

models::Idefics3Inputs idefics3_inputs(const Batch& batch, c10::Device device) {
  require(batch, batch.family == io::ModelFamily::idefics3, "an Idefics3 model");
  auto in = vlm_inputs<models::Idefics3Inputs>(batch, device);
  in.pixel_attention_mask = batch.pixel_attention_mask;  // read on the host only
  if (batch.real_tiles.defined())
    in.host_real_images = batch.real_tiles.reshape({-1});  // uint8 pixels: the host cannot test them for zero
  else
    in.host_pixel_values = host(batch.pixel_values);
  in.host_pixel_attention_mask = host(batch.pixel_attention_mask);
  return in;
}

models::ClipInputs clip_inputs(const Batch& batch, c10::Device device) {
  require(batch, batch.family == io::ModelFamily::clip, "a CLIP model");
  return {on(batch.input_ids, device), on(batch.attention_mask, device), pixels_on(batch, device)};
}

}  // namespace vltune::data
