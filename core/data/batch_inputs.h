#pragma once
// A collated Batch as the models' forward() takes it, on a device. The trainer calls e.g.
//   model->forward(qwen_inputs(batch, device)) and causal_lm_loss(logits, batch.labels.to(device)).

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "core/data/collate.h"
#include "core/models/clip.h"
#include "core/models/idefics3.h"
#include "core/models/llava.h"
#include "core/models/qwen_vl.h"

namespace vltune::data {

// Each throws vltune::Error when the batch was collated for another family. Tensors are moved to
// `device` (copies only when they are elsewhere; to CUDA without making the host wait,
// core/device_transfer.h); pixel_values keep float32 (the model casts), and uint8 ones (a batch
// with a pixel_table) are sent as they are and normalised on `device`. The batch's CPU tensors
// also go in as the inputs' host mirrors, and Qwen's image_grid_thw and Idefics3's
// pixel_attention_mask stay on the CPU: what the models read on the host is then never read back
// from the device.
models::QwenVLInputs qwen_inputs(const Batch& batch, c10::Device device = c10::kCPU);
models::LlavaInputs llava_inputs(const Batch& batch, c10::Device device = c10::kCPU);
models::Idefics3Inputs idefics3_inputs(const Batch& batch, c10::Device device = c10::kCPU);
models::ClipInputs clip_inputs(const Batch& batch, c10::Device device = c10::kCPU);

}  // namespace vltune::data
