#include "core/models/idefics3.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/device_transfer.h"
#include "core/error.h"
#include "core/lora/linear_init.h"
#include "core/io/checkpoint.h"
#include "core/models/blocks.h"
#include "core/models/family_layout.h"
#include "core/models/greedy.h"
#include "core/models/image_slots.h"
#include "core/models/weight_loader.h"

namespace vltune::models {

torch::Tensor idefics3_patch_attention_mask(const torch::Tensor& pixel_attention_mask, int64_t patch_size) {
  // unfold twice: [N, H, W] -> [N, H/P, W/P, P, P]; a patch is real when any pixel of it is.
  auto subgrid = pixel_attention_mask.unfold(1, patch_size, patch_size).unfold(2, patch_size, patch_size);
  return subgrid.sum({-1, -2}) > 0;
}

torch::Tensor idefics3_position_ids(const torch::Tensor& patch_attention_mask, int64_t num_patches_per_side) {
  const auto n = patch_attention_mask.size(0);
  const auto h = patch_attention_mask.size(1), w = patch_attention_mask.size(2);
  // Read on the host (a mask on a device is copied back first), counted with an accessor: no item().
  const auto mask = patch_attention_mask.to(torch::kCPU, torch::kBool).contiguous();
  const auto a = mask.accessor<bool, 3>();
  const double step = 1.0 / static_cast<double>(num_patches_per_side);
  // torch.arange(1 / N, 1.0, 1 / N): float32 (the default dtype).
  const auto boundaries = torch::arange(step, 1.0, step, torch::kFloat);
  auto position_ids = torch::zeros({n, h * w}, torch::kLong);
  for (int64_t i = 0; i < n; ++i) {
    int64_t nb_h = 0, nb_w = 0, real = 0;  // real rows in column 0, real columns in row 0, real patches
    for (int64_t y = 0; y < h; ++y) nb_h += a[i][y][0];
    for (int64_t x = 0; x < w; ++x) nb_w += a[i][0][x];
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) real += a[i][y][x];
    // torch.arange(0, 1 - 1e-6, 1 / nb_patches_h): the step 1 / (a float32 count), divided in
    // float32; the values float32.
    const auto frac_h = torch::arange(0, 1 - 1e-6, static_cast<double>(1.0f / static_cast<float>(nb_h)), torch::kFloat);
    const auto frac_w = torch::arange(0, 1 - 1e-6, static_cast<double>(1.0f / static_cast<float>(nb_w)), torch::kFloat);
    const auto bucket_h = torch::bucketize(frac_h, boundaries, /*out_int32=*/false, /*right=*/true);
    const auto bucket_w = torch::bucketize(frac_w, boundaries, /*out_int32=*/false, /*right=*/true);
    const auto ids = (bucket_h.unsqueeze(1) * num_patches_per_side + bucket_w).flatten();
    const auto flat = mask[i].reshape({-1});
    if (real != ids.numel())
      throw Error("Idefics3 vision: the real patches of image " + std::to_string(i) +
                  " do not form a rectangle at the top left");
    position_ids[i].index_put_({flat}, ids);
  }
  return position_ids.to(patch_attention_mask.device());
}

Idefics3VisionEmbeddingsImpl::Idefics3VisionEmbeddingsImpl(const io::VisionTransformerConfig& c)
    : m_patches_per_side(c.patch_size > 0 ? c.image_size / c.patch_size : 0) {
  if (c.patch_size <= 0 || c.image_size % c.patch_size != 0)
    throw FormatError("Idefics3 vision: image_size " + std::to_string(c.image_size) + " is not a multiple of patch_size " +
                      std::to_string(c.patch_size));
  patch_embedding = register_module(
      "patch_embedding",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(c.num_channels, c.hidden_size, c.patch_size).stride(c.patch_size).bias(true)));
  position_embedding =
      register_module("position_embedding", torch::nn::Embedding(m_patches_per_side * m_patches_per_side, c.hidden_size));
}

torch::Tensor Idefics3VisionEmbeddingsImpl::forward(const torch::Tensor& pixel_values, const torch::Tensor& patch_attention_mask) {
  const auto weight = patch_embedding->weight;
  // [N, C, H, W] -> [N, hidden, H/P, W/P] -> [N, patches, hidden]
  auto embeddings = patch_embedding(pixel_values.to(weight.device(), weight.scalar_type())).flatten(2).transpose(1, 2);
  const auto position_ids = to_device(idefics3_position_ids(patch_attention_mask, m_patches_per_side), weight.device());
  return embeddings + position_embedding(position_ids);
}

Idefics3VisionTransformerImpl::Idefics3VisionTransformerImpl(const io::VisionTransformerConfig& c) : m_patch_size(c.patch_size) {
  embeddings = register_module("embeddings", Idefics3VisionEmbeddings(c));
  encoder = register_module("encoder", ClipEncoder(clip_encoder_options(c)));
  post_layernorm =
      register_module("post_layernorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
}

torch::Tensor Idefics3VisionTransformerImpl::forward(const torch::Tensor& pixel_values, const torch::Tensor& patch_attention_mask) {
  if (pixel_values.dim() != 4 || pixel_values.size(2) % m_patch_size != 0 || pixel_values.size(3) % m_patch_size != 0)
    throw Error("Idefics3 vision: pixel_values should be [N, C, H, W] with sides multiples of " +
                std::to_string(m_patch_size) + ", got " + c10::str(pixel_values.sizes()));
  const auto n = pixel_values.size(0);
  // On the host: the positions and whether any patch is padding are worked out there.
  const auto patch_mask = patch_attention_mask.defined()
                              ? patch_attention_mask.to(torch::kCPU, torch::kBool)
                              : torch::ones({n, pixel_values.size(2) / m_patch_size, pixel_values.size(3) / m_patch_size}, torch::kBool);
  auto h = embeddings(pixel_values, patch_mask);  // [N, T, hidden]
  const auto host_flat = patch_mask.reshape({n, -1}).contiguous();
  const bool* patch = host_flat.data_ptr<bool>();
  torch::Tensor mask;  // none when every patch is real, as the reference
  if (!std::all_of(patch, patch + host_flat.numel(), [](bool real) { return real; })) {
    const auto flat = to_device(host_flat, h.device());
    // _prepare_4d_attention_mask: keys that are padding get the dtype's lowest value. [N, 1, T, T]
    const auto t = flat.size(1);
    // (float32: its lowest value; narrower dtypes: -inf, as float32's lowest does not fit them)
    const double fill = h.scalar_type() == torch::kFloat ? static_cast<double>(std::numeric_limits<float>::lowest())
                                                         : -std::numeric_limits<double>::infinity();
    mask = torch::zeros({n, 1, 1, t}, h.options()).masked_fill(flat.logical_not().view({n, 1, 1, t}), fill).expand({n, 1, t, t});
  }
  return post_layernorm(encoder(h, mask).back());
}

Idefics3ProjectionImpl::Idefics3ProjectionImpl(int64_t in, int64_t out) {
  proj = register_module("proj", lora::LoraLinear(torch::nn::LinearOptions(in, out).bias(false)));
}

torch::Tensor idefics3_pixel_shuffle(const torch::Tensor& x, int64_t s) {
  const auto n = x.size(0), seq = x.size(1), d = x.size(2);
  auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(seq))));
  if (side * side != seq || side % s != 0)
    throw Error("Idefics3 pixel shuffle: " + std::to_string(seq) + " patches are not a square whose side divides by " +
                std::to_string(s));
  auto y = x.reshape({n, side, side, d});
  y = y.reshape({n, side, side / s, d * s});
  y = y.permute({0, 2, 1, 3});
  y = y.reshape({n, side / s, side / s, d * s * s});
  y = y.permute({0, 2, 1, 3});
  return y.reshape({n, seq / (s * s), d * s * s});
}

Idefics3ConnectorImpl::Idefics3ConnectorImpl(int64_t vision_hidden, int64_t text_hidden, int64_t scale_factor)
    : m_scale_factor(scale_factor) {
  if (scale_factor <= 0) throw FormatError("Idefics3: scale_factor " + std::to_string(scale_factor) + " is not positive");
  modality_projection =
      register_module("modality_projection", Idefics3Projection(vision_hidden * scale_factor * scale_factor, text_hidden));
}

torch::Tensor Idefics3ConnectorImpl::forward(const torch::Tensor& image_hidden_states) {
  return modality_projection(idefics3_pixel_shuffle(image_hidden_states, m_scale_factor));
}

Idefics3Impl::Idefics3Impl(const io::ModelConfig& config) {
  const io::Idefics3Config& c = config.idefics3();
  m_image_token_id = c.image_token_id;
  vision_model = register_module("vision_model", Idefics3VisionTransformer(c.vision));
  connector = register_module("connector", Idefics3Connector(c.vision.hidden_size, c.text.hidden_size, c.scale_factor));
  text_model = register_module("text_model", TextDecoder(c.text));
  lm_head = register_module("lm_head", lora::LoraLinear(torch::nn::LinearOptions(c.text.hidden_size, c.text.vocab_size).bias(false)));
  if (c.text.tie_word_embeddings) lm_head->weight.set_data(text_model->embed_tokens->weight.data());
}

namespace {

// Which images of [M, C, H, W] are real, as the reference decides it: not all zero
// ((pixels == 0).sum() != C * H * W). Read from `host_real` ([M] bool on the CPU) when given; else
// on the host from `host_pixels`, where a real image stops the scan at its first non-zero value;
// else tested on the device and read back. -> the real images' indices, in order
std::vector<int64_t> real_images(const torch::Tensor& pixels, const torch::Tensor& host_pixels, const torch::Tensor& host_real) {
  const int64_t m = pixels.size(0), per = m > 0 ? pixels.numel() / m : 0;
  std::vector<int64_t> real;
  if (host_pixels.defined() && !host_real.defined()) {
    const auto values = host_pixels.to(torch::kFloat).contiguous();
    const float* p = values.data_ptr<float>();
    for (int64_t i = 0; i < m; ++i)
      if (std::any_of(p + i * per, p + (i + 1) * per, [](float v) { return !(v == 0.0f); })) real.push_back(i);
  } else {
    const auto flags = host_real.defined() ? host_real.to(torch::kBool).reshape({m})
                                           : ((pixels == 0.0).sum({-1, -2, -3}) != per).to(torch::kCPU);  // [M] bool
    const auto f = flags.accessor<bool, 1>();
    for (int64_t i = 0; i < m; ++i)
      if (f[i]) real.push_back(i);
  }
  return real;
}

}  // namespace

torch::Tensor Idefics3Impl::image_features(const Idefics3Inputs& inputs) {
  const auto& pixel_values = inputs.pixel_values;
  if (pixel_values.dim() != 5) throw Error("Idefics3: pixel_values should be [B, N, C, H, W], got " + c10::str(pixel_values.sizes()));
  const auto b = pixel_values.size(0), n = pixel_values.size(1);
  const auto c = pixel_values.size(2), h = pixel_values.size(3), w = pixel_values.size(4);
  auto pixels = pixel_values.reshape({b * n, c, h, w});
  torch::Tensor host_pixels;  // undefined: the padding test runs on the device
  if (inputs.host_pixel_values.defined())
    host_pixels = host_view(pixel_values, inputs.host_pixel_values, "host_pixel_values").reshape({b * n, c, h, w});
  // Padding images are all zero: drop them (keep the first when every one is).
  if (inputs.host_real_images.defined() && (inputs.host_real_images.numel() != b * n || !inputs.host_real_images.device().is_cpu()))
    throw Error("Idefics3: host_real_images " + c10::str(inputs.host_real_images.sizes()) + " does not match pixel_values " +
                c10::str(pixel_values.sizes()));
  std::vector<int64_t> real = real_images(pixels, host_pixels, inputs.host_real_images);
  if (real.empty()) real.push_back(0);
  const bool all_real = static_cast<int64_t>(real.size()) == b * n;
  const auto real_index = torch::tensor(real, torch::kLong);  // [real] on the CPU
  if (!all_real) pixels = pixels.index_select(0, to_device(real_index, pixels.device()));
  torch::Tensor pixel_mask;  // [real, H, W] on the CPU
  if (inputs.pixel_attention_mask.defined()) {
    if (inputs.pixel_attention_mask.numel() != b * n * h * w)
      throw Error("Idefics3: pixel_attention_mask " + c10::str(inputs.pixel_attention_mask.sizes()) + " does not match pixel_values " +
                  c10::str(pixel_values.sizes()));
    pixel_mask = host_view(inputs.pixel_attention_mask, inputs.host_pixel_attention_mask, "host_pixel_attention_mask")
                     .reshape({b * n, h, w});
    if (!all_real) pixel_mask = pixel_mask.index_select(0, real_index);
  } else {
    pixel_mask = torch::ones({pixels.size(0), h, w}, torch::kBool);
  }
  const auto patch_mask = idefics3_patch_attention_mask(pixel_mask.to(torch::kFloat), vision_model->patch_size());
  auto hidden = vision_model(pixels, patch_mask);  // [real, patches, vision hidden]
  return connector(hidden);                        // [real, tokens, text hidden]
}

torch::Tensor Idefics3Impl::embed(const Idefics3Inputs& inputs) {
  auto is_image = inputs.input_ids == m_image_token_id;  // [B, T]
  auto ids = inputs.input_ids.masked_fill(is_image, 0);  // the image token may lie past the table
  auto embeds = text_model->embed_tokens(ids);            // [B, T, hidden]
  const auto slots = image_token_positions(inputs.input_ids, inputs.host_input_ids, m_image_token_id);
  if (!inputs.pixel_values.defined() || inputs.pixel_values.numel() == 0) {
    if (slots.size(0) != 0)
      throw FormatError("input_ids hold " + std::to_string(slots.size(0)) + " image tokens but no images were given");
    return embeds;
  }
  auto features = image_features(inputs);                // [images, tokens, hidden]
  features = features.reshape({-1, features.size(-1)});  // [images * tokens, hidden]
  return fill_image_tokens(embeds, slots, features);
}

torch::Tensor Idefics3Impl::position_ids(const Idefics3Inputs& inputs) const {
  // Packed rows: each sample counts from 0 (the position_ids of LLaMA-Factory's packed rows).
  if (inputs.packed.packed()) return to_device(positions_within_segments(inputs.packed.segment_ids), inputs.input_ids.device());
  const auto b = inputs.input_ids.size(0), t = inputs.input_ids.size(1);
  return torch::arange(t, inputs.input_ids.options().dtype(torch::kLong)).unsqueeze(0).expand({b, t});
}

torch::Tensor Idefics3Impl::hidden_states(const Idefics3Inputs& inputs) {
  return text_model(embed(inputs), position_ids(inputs), inputs.attention_mask, nullptr,
                isolated_segments(inputs.packed));  // [B, T, hidden]
}

torch::Tensor Idefics3Impl::forward(const Idefics3Inputs& inputs) { return lm_head(hidden_states(inputs)); }

Prefill Idefics3Impl::prefill(const Idefics3Inputs& prompt, KvCache& cache) {
  torch::NoGradGuard no_grad;
  return sequential_prefill(text_model, embed(prompt), position_ids(prompt), prompt.attention_mask, cache);
}

DecodeStep Idefics3Impl::decode_step() { return sequential_decode_step(text_model, lm_head); }

torch::Tensor Idefics3Impl::generate_greedy(const Idefics3Inputs& prompt, int64_t max_new_tokens, const std::vector<int64_t>& eos_ids) {
  return models::generate_greedy(
      prompt.input_ids, [&](KvCache& cache) { return prefill(prompt, cache); }, decode_step(), max_new_tokens, eos_ids);
}

Idefics3 load_idefics3(const std::filesystem::path& folder, torch::Dtype dtype) {
  const io::ModelConfig config = io::read_model_config(folder);
  Idefics3 model{nullptr};
  {
    lora::SkipLinearInit no_init;  // every linear weight comes from the checkpoint
    model = Idefics3(config);
  }
  const io::Checkpoint checkpoint = io::Checkpoint::open(folder);
  WeightLoadOptions options;
  options.dtype = dtype;
  // Hub Idefics3 / SmolVLM and these fixtures, and the bare module names: see family_layout.cpp.
  options.renames = checkpoint_renames(family_layout(io::ModelFamily::idefics3));
  options.ignored_prefixes = {"vision_model.embeddings.position_ids"};
  const bool tied = config.idefics3().text.tie_word_embeddings;
  if (tied) options.may_be_absent.push_back("lm_head.weight");
  load_weights(*model, checkpoint, options);
  if (tied) model->lm_head->weight.set_data(model->text_model->embed_tokens->weight.data());
  model->eval();
  return model;
}

}  // namespace vltune::models
