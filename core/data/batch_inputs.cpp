#include "core/data/batch_inputs.h"

#include <string>

#include "core/device_transfer.h"
#include "core/error.h"

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

// What every VLM's inputs hold: ids, mask and pixels on `device`, the ids' host mirror.
template <typename Inputs>
Inputs vlm_inputs(const Batch& batch, c10::Device device) {
  Inputs in;
  in.input_ids = on(batch.input_ids, device);
  in.attention_mask = on(batch.attention_mask, device);
  in.pixel_values = on(batch.pixel_values, device);
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
  in.host_pixel_values = host(batch.pixel_values);
  in.host_pixel_attention_mask = host(batch.pixel_attention_mask);
  return in;
}

models::ClipInputs clip_inputs(const Batch& batch, c10::Device device) {
  require(batch, batch.family == io::ModelFamily::clip, "a CLIP model");
  return {on(batch.input_ids, device), on(batch.attention_mask, device), on(batch.pixel_values, device)};
}

}  // namespace vltune::data
