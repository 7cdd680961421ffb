#include "core/models/qwen_vl.h"

#include "core/device_transfer.h"
#include "core/error.h"
#include "core/lora/linear_init.h"
#include "core/io/checkpoint.h"
#include "core/models/family_layout.h"
#include "core/models/greedy.h"
#include "core/models/image_slots.h"
#include "core/models/weight_loader.h"

namespace vltune::models {

namespace {

QwenVisionOptions vision_options(const io::ModelConfig& config) {
  if (config.family() == io::ModelFamily::qwen2_vl) return qwen_vision_options(config.qwen2_vl().vision);
  if (config.family() == io::ModelFamily::qwen2_5_vl) return qwen_vision_options(config.qwen2_5_vl().vision);
  throw FormatError("model_type \"" + config.model_type + "\" is not Qwen2-VL or Qwen2.5-VL");
}

}  // namespace

QwenVLImpl::QwenVLImpl(const io::ModelConfig& config) : m_family(config.family()) {
  const io::TextDecoderConfig& text = *config.text_decoder();
  const QwenVisionOptions vision = vision_options(config);
  if (m_family == io::ModelFamily::qwen2_vl) {
    m_image_token_id = config.qwen2_vl().image_token_id;
    m_video_token_id = config.qwen2_vl().video_token_id;
  } else {
    m_image_token_id = config.qwen2_5_vl().image_token_id;
    m_video_token_id = config.qwen2_5_vl().video_token_id;
  }
  m_merge_size = vision.merge_size;
  m_tied = text.tie_word_embeddings;
  model = register_module("model", TextDecoder(text));
  visual = register_module("visual", QwenVision(vision));
  lm_head = register_module("lm_head", lora::LoraLinear(torch::nn::LinearOptions(text.hidden_size, text.vocab_size).bias(false)));
  if (m_tied) lm_head->weight.set_data(model->embed_tokens->weight.data());
}

torch::Tensor QwenVLImpl::position_ids(const QwenVLInputs& inputs) const {
  return to_device(host_position_ids(inputs), inputs.input_ids.device());
}

torch::Tensor QwenVLImpl::host_position_ids(const QwenVLInputs& inputs) const {
  auto ids = host_view(inputs.input_ids, inputs.host_input_ids, "host_input_ids").to(torch::kLong).contiguous();
  const int64_t b = ids.size(0), t = ids.size(1);
  auto mask = inputs.attention_mask.defined()
                  ? host_view(inputs.attention_mask, inputs.host_attention_mask, "host_attention_mask").to(torch::kLong).contiguous()
                  : torch::ones({b, t}, torch::kLong);
  auto grid = inputs.image_grid_thw.defined() ? inputs.image_grid_thw.to(torch::kCPU).to(torch::kLong).contiguous()
                                              : torch::zeros({0, 3}, torch::kLong);
  auto out = torch::zeros({3, b, t}, torch::kLong);
  auto o = out.accessor<int64_t, 3>();
  auto id = ids.accessor<int64_t, 2>();
  auto m = mask.accessor<int64_t, 2>();
  auto g = grid.accessor<int64_t, 2>();
  // Isolated packed samples each count from 0; otherwise a row is one sequence.
  const torch::Tensor isolated = isolated_segments(inputs.packed);
  const auto segments = isolated.defined() ? isolated.to(torch::kCPU, torch::kLong).contiguous() : torch::zeros({b, t}, torch::kLong);
  if (segments.sizes() != ids.sizes())
    throw Error("segment_ids " + c10::str(segments.sizes()) + " do not match input_ids " + c10::str(ids.sizes()));
  auto seg = segments.accessor<int64_t, 2>();
  int64_t image = 0;
  for (int64_t row = 0; row < b; ++row) {
    std::vector<int64_t> columns;  // the attended positions, in order
    for (int64_t j = 0; j < t; ++j)
      if (m[row][j] != 0) columns.push_back(j);
    int64_t next = 0;  // the position the next text token takes
    for (size_t k = 0; k < columns.size();) {
      if (k > 0 && seg[row][columns[k]] != seg[row][columns[k - 1]]) next = 0;  // an isolated sample starts
      const int64_t token = id[row][columns[k]];
      if (token == m_video_token_id) throw FormatError("video inputs are not supported (video token in row " + std::to_string(row) + ")");
      if (token != m_image_token_id) {
        for (int a = 0; a < 3; ++a) o[a][row][columns[k]] = next;
        ++next;
        ++k;
        continue;
      }
      if (image >= grid.size(0))
        throw FormatError("input_ids row " + std::to_string(row) + " has more images than image_grid_thw (" +
                          std::to_string(grid.size(0)) + ")");
      const int64_t gt = g[image][0], gh = g[image][1] / m_merge_size, gw = g[image][2] / m_merge_size;
      ++image;
      const int64_t count = gt * gh * gw;
      if (k + count > columns.size())
        throw FormatError("input_ids row " + std::to_string(row) + " ends inside an image of " + std::to_string(count) + " tokens");
      int64_t largest = next;
      const int64_t sample = seg[row][columns[k]];  // the packed sample the image starts in
      for (int64_t f = 0; f < gt; ++f)
        for (int64_t y = 0; y < gh; ++y)
          for (int64_t x = 0; x < gw; ++x, ++k) {
            // Qwen2.5-VL scales time by seconds per frame; a still image has 0 (one frame anyway).
            const int64_t time = m_family == io::ModelFamily::qwen2_vl ? f : 0;
            const int64_t col = columns[k];
            if (id[row][col] != m_image_token_id)
              throw FormatError("input_ids row " + std::to_string(row) + ": image " + std::to_string(image - 1) +
                                " has fewer image tokens than its grid's " + std::to_string(count));
            if (seg[row][col] != sample)
              throw FormatError("input_ids row " + std::to_string(row) + ": image " + std::to_string(image - 1) +
                                " runs across two packed samples");
            o[0][row][col] = next + time;
            o[1][row][col] = next + y;
            o[2][row][col] = next + x;
            largest = std::max({largest, next + time, next + y, next + x});
          }
      next = largest + 1;
    }
  }
  if (image != grid.size(0))
    throw FormatError("image_grid_thw lists " + std::to_string(grid.size(0)) + " images, input_ids hold " + std::to_string(image));
  return out;
}

torch::Tensor QwenVLImpl::embed(const QwenVLInputs& inputs) {
  auto embeds = model->embed_tokens(inputs.input_ids);  // [B, T, hidden]
  if (!inputs.pixel_values.defined() || inputs.pixel_values.numel() == 0) return embeds;
  const auto slots = image_token_positions(inputs.input_ids, inputs.host_input_ids, m_image_token_id);
  auto image_embeds = visual(inputs.pixel_values, inputs.image_grid_thw);  // [tokens, hidden]
  return fill_image_tokens(embeds, slots, image_embeds);
}

torch::Tensor QwenVLImpl::hidden_states(const QwenVLInputs& inputs) {
  return model(embed(inputs), position_ids(inputs), inputs.attention_mask, nullptr, isolated_segments(inputs.packed));
}

torch::Tensor QwenVLImpl::forward(const QwenVLInputs& inputs) { return lm_head(hidden_states(inputs)); }

Prefill QwenVLImpl::prefill(const QwenVLInputs& prompt, KvCache& cache) {
  torch::NoGradGuard no_grad;
  if (prompt.input_ids.size(0) != 1)
    throw Error("generation takes one sequence, got a batch of " + std::to_string(prompt.input_ids.size(0)));
  const auto positions = host_position_ids(prompt);  // [3, 1, T] on the CPU
  Prefill out;
  out.mask = prompt.attention_mask.defined() ? prompt.attention_mask : torch::ones_like(prompt.input_ids);
  out.hidden = model(embed(prompt), to_device(positions, prompt.input_ids.device()), out.mask, &cache);  // [1, T, hidden]
  // Text after the prompt continues past the largest position any axis reached (the images').
  out.next_position = positions.max().item<int64_t>() + 1;
  return out;
}

DecodeStep QwenVLImpl::decode_step() {
  DecodeStep step;
  step.step = [this](const torch::Tensor& token, const torch::Tensor& position, const torch::Tensor& m, KvCache& c) {
    // A new text token advances all three M-RoPE axes together: [1, 1] -> [3, 1, 1]. -> [1, 1, hidden]
    return model(model->embed_tokens(token), position.unsqueeze(0).expand({3, 1, 1}), m, &c);
  };
  step.head = [this](const torch::Tensor& hidden) { return lm_head(hidden); };
  return step;
}

torch::Tensor QwenVLImpl::generate_greedy(const QwenVLInputs& prompt, int64_t max_new_tokens, const std::vector<int64_t>& eos_ids) {
  return models::generate_greedy(
      prompt.input_ids, [&](KvCache& cache) { return prefill(prompt, cache); }, decode_step(), max_new_tokens, eos_ids);
}

QwenVL load_qwen_vl(const std::filesystem::path& folder, torch::Dtype dtype) {
  const io::ModelConfig config = io::read_model_config(folder);
  QwenVL model{nullptr};
  {
    lora::SkipLinearInit no_init;  // every linear weight comes from the checkpoint
    model = QwenVL(config);
  }
  const io::Checkpoint checkpoint = io::Checkpoint::open(folder);
  WeightLoadOptions options;
  options.dtype = dtype;
  // transformers >= 4.52 saves the module path; older checkpoints the classic names used here.
  options.renames = checkpoint_renames(family_layout(config.family()));
  if (config.text_decoder()->tie_word_embeddings) options.may_be_absent = {"lm_head.weight"};
  load_weights(*model, checkpoint, options);
  if (config.text_decoder()->tie_word_embeddings) model->lm_head->weight.set_data(model->model->embed_tokens->weight.data());
  model->eval();
  return model;
}

torch::Tensor causal_lm_loss(const torch::Tensor& logits, const torch::Tensor& labels) {
  const int64_t t = logits.size(1);
  auto shifted_logits = logits.narrow(1, 0, t - 1).to(torch::kFloat32).reshape({-1, logits.size(-1)});
  auto shifted_labels = labels.narrow(1, 1, t - 1).reshape({-1}).to(logits.device());
  return torch::nn::functional::cross_entropy(
      shifted_logits, shifted_labels, torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
}

}  // namespace vltune::models
