#include "core/data/batch_inputs.h"

#include <string>

#include "core/error.h"

namespace vltune::data {

namespace {

at::Tensor on(const at::Tensor& t, c10::Device device) { return t.defined() ? t.to(device) : t; }

void require(const Batch& batch, bool ok, const char* what) {
  if (!ok)
    throw Error(std::string("a batch collated for ") + std::string(io::model_family_name(batch.family)) +
                " cannot be given to " + what);
}

}  // namespace

models::QwenVLInputs qwen_inputs(const Batch& batch, c10::Device device) {
  require(batch, batch.family == io::ModelFamily::qwen2_vl || batch.family == io::ModelFamily::qwen2_5_vl,
          "a Qwen2-VL model");
  return {on(batch.input_ids, device), on(batch.attention_mask, device), on(batch.pixel_values, device),
          on(batch.image_grid_thw, device)};
}

models::LlavaInputs llava_inputs(const Batch& batch, c10::Device device) {
  require(batch, batch.family == io::ModelFamily::llava, "a LLaVA model");
  return {on(batch.input_ids, device), on(batch.attention_mask, device), on(batch.pixel_values, device)};
}

models::Idefics3Inputs idefics3_inputs(const Batch& batch, c10::Device device) {
  require(batch, batch.family == io::ModelFamily::idefics3, "an Idefics3 model");
  return {on(batch.input_ids, device), on(batch.attention_mask, device), on(batch.pixel_values, device),
          on(batch.pixel_attention_mask, device)};
}

models::ClipInputs clip_inputs(const Batch& batch, c10::Device device) {
  require(batch, batch.family == io::ModelFamily::clip, "a CLIP model");
  return {on(batch.input_ids, device), on(batch.attention_mask, device), on(batch.pixel_values, device)};
}

}  // namespace vltune::data
