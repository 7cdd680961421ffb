#include "app/train_estimate.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "core/data/dataset.h"
#include "core/error.h"
#include "core/io/dtype.h"
#include "core/io/hf_config.h"
#include "core/io/image_header.h"
#include "core/io/json_file.h"
#include "core/io/safetensors_header.h"
#include "core/text/chat_template.h"
#include "core/text/image_placeholders.h"
#include "core/train/train_config_steps.h"

namespace fs = std::filesystem;

namespace vltune {
namespace {

// One file's safetensors header, read without touching the data section.
io::SafetensorsHeader read_header(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw FileError(file.string() + ": cannot be opened");
  unsigned char prefix[8] = {};
  in.read(reinterpret_cast<char*>(prefix), 8);
  if (in.gcount() != 8) throw FormatError(file.string() + ": shorter than a safetensors header");
  uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | prefix[i];
  const uint64_t size = fs::file_size(file);
  if (length > io::kMaxSafetensorsHeader || 8 + length > size)
    throw FormatError(file.string() + ": header length " + std::to_string(length) + " does not fit the file");
  std::string json(length, '\0');
  in.read(json.data(), static_cast<std::streamsize>(length));
  return io::parse_safetensors_header(json, size - 8 - length, file.string());
}

// The weight files of a model folder: an index's shards, else every .safetensors file there.
std::vector<fs::path> weight_files(const fs::path& folder) {
  std::set<fs::path> files;
  const fs::path index = folder / "model.safetensors.index.json";
  if (fs::exists(index)) {
    const io::Json json = io::read_json_file(index);
    if (json.contains("weight_map") && json["weight_map"].is_object())
      for (const auto& [name, shard] : json["weight_map"].items())
        if (shard.is_string()) files.insert(folder / shard.get<std::string>());
  } else {
    for (const auto& entry : fs::directory_iterator(folder))
      if (entry.path().extension() == ".safetensors") files.insert(entry.path());
  }
  return {files.begin(), files.end()};
}

// The template the run will use: the config's, else the model type's default (nullptr: none).
const text::ConversationTemplate* template_for(const train::TrainConfig& config, const std::string& model_type) {
  const std::string name =
      config.template_name.empty() ? text::default_template_for_model_type(model_type) : config.template_name;
  if (name.empty()) return nullptr;
  return &text::get_template(name);
}

// How one model turns image sizes into token counts, as the engine's encoding does.
struct ImageCounter {
  text::ImageLayout layout;
  bool pre_resize = true;  // the template applies LLaMA-Factory's pre-resize
  text::LlamaFactoryImageParams params;

  ImageCounter(const train::TrainConfig& config) {
    const fs::path folder = config.model_name_or_path;
    const io::ModelConfig model = io::read_model_config(folder);
    if (model.family() != io::ModelFamily::clip) layout = text::load_image_layout(folder);
    if (const text::ConversationTemplate* tmpl = template_for(config, model.model_type))
      pre_resize = tmpl->llamafactory_image_resize;
    params = {config.image_max_pixels, config.image_min_pixels};
  }

  text::ImageSize resized(text::ImageSize size) const {
    return pre_resize ? text::llamafactory_image_size(size, params, layout.plugin) : size;
  }
  // The image tokens proper.
  int64_t image_tokens(text::ImageSize size, const std::string& label) const {
    if (layout.plugin == text::ImagePlugin::none) return 0;
    return text::image_token_count(layout, resized(size), label);
  }
  // The image's whole block: Qwen's start/end markers, Idefics3's per-tile markers.
  int64_t block_tokens(text::ImageSize size, const std::string& label) const {
    const int64_t tokens = image_tokens(size, label);
    switch (layout.plugin) {
      case text::ImagePlugin::qwen2_vl: return tokens + 2;
      case text::ImagePlugin::idefics3: return tokens + 3 * text::idefics3_tiles(resized(size), layout.preprocessor).count();
      default: return tokens;
    }
  }
};

int64_t training_dtype_bytes(const train::TrainConfig& c) { return (c.bf16 || c.fp16 || c.pure_bf16) ? 2 : 4; }

// Decoder parameters of one layer's attention and MLP projections (biases left out).
int64_t layer_parameters(const ModelSummary& m) {
  return m.hidden * m.attention_width + 2 * m.hidden * m.kv_width + m.attention_width * m.hidden +
         3 * m.hidden * m.intermediate;
}

// LoRA parameters: r x (in + out) for each targeted projection of each decoder layer. The vision
// tower's projections are left out (frozen by default).
int64_t lora_parameters(const ModelSummary& m, const train::TrainConfig& c) {
  const std::map<std::string, std::pair<int64_t, int64_t>> shapes = {
      {"q_proj", {m.hidden, m.attention_width}}, {"k_proj", {m.hidden, m.kv_width}},
      {"v_proj", {m.hidden, m.kv_width}},        {"o_proj", {m.attention_width, m.hidden}},
      {"gate_proj", {m.hidden, m.intermediate}}, {"up_proj", {m.hidden, m.intermediate}},
      {"down_proj", {m.intermediate, m.hidden}}};
  const bool all = std::find(c.lora_target.begin(), c.lora_target.end(), "all") != c.lora_target.end();
  int64_t per_layer = 0;
  for (const auto& [name, io] : shapes) {
    const bool targeted = all || std::any_of(c.lora_target.begin(), c.lora_target.end(), [&](const std::string& t) {
                            return name == t || name.ends_with("." + t);
                          });
    if (targeted) per_layer += c.lora_rank * (io.first + io.second);
  }
  return per_layer * m.layers;
}

}  // namespace

ModelSummary summarize_model(const fs::path& folder) {
  ModelSummary s;
  try {
    if (folder.empty()) throw Error("model_name_or_path: not set");
    const io::ModelConfig config = io::read_model_config(folder);
    s.family = std::string(io::model_family_name(config.family()));
    s.model_type = config.model_type;
    if (const io::TextDecoderConfig* t = config.text_decoder()) {
      s.layers = t->num_hidden_layers;
      s.hidden = t->hidden_size;
      s.intermediate = t->intermediate_size;
      s.attention_width = t->num_attention_heads * t->head_dim;
      s.kv_width = t->num_key_value_heads * t->head_dim;
      s.vocab = t->vocab_size;
    }
    std::map<io::DType, int64_t> by_dtype;
    for (const fs::path& file : weight_files(folder))
      for (const io::TensorInfo& tensor : read_header(file).tensors) {
        s.parameters += tensor.numel();
        by_dtype[tensor.dtype] += tensor.numel();
      }
    if (by_dtype.empty()) throw FileError(folder.string() + ": no .safetensors weights found");
    const auto dominant = std::max_element(by_dtype.begin(), by_dtype.end(),
                                           [](const auto& a, const auto& b) { return a.second < b.second; });
    s.dtype = io::dtype_name(dominant->first);
    s.dtype_bytes = static_cast<int64_t>(io::dtype_size(dominant->first));
  } catch (const std::exception& e) {
    s.error = e.what();
  }
  return s;
}

int64_t image_tokens_for(const fs::path& model_folder, int64_t width, int64_t height, int64_t image_max_pixels,
                         int64_t image_min_pixels) {
  train::TrainConfig c;
  c.model_name_or_path = model_folder.string();
  c.image_max_pixels = image_max_pixels;
  c.image_min_pixels = image_min_pixels;
  return ImageCounter(c).image_tokens({width, height}, "image");
}

TokenStats measure_sample_tokens(const train::TrainConfig& config, int64_t max_samples) {
  TokenStats stats;
  try {
    if (config.dataset.empty()) throw Error("dataset: not set");
    const ImageCounter counter(config);
    data::OpenOptions open;
    open.datasets = config.dataset;
    open.media_dir = config.media_dir;
    const data::Dataset dataset = data::open_dataset(config.dataset_dir, open);
    const auto& records = dataset.records;
    stats.samples_total = static_cast<int64_t>(records.size());
    if (records.empty()) throw Error("dataset: no rows in " + config.dataset_dir);
    const size_t n = std::min<size_t>(records.size(), static_cast<size_t>(std::max<int64_t>(max_samples, 1)));
    std::vector<int64_t> lengths;
    lengths.reserve(n);
    for (size_t k = 0; k < n; ++k) {
      const data::Record& r = records[k * records.size() / n];  // evenly spread over the file order
      int64_t bytes = static_cast<int64_t>(r.system.size());
      for (const data::Turn& turn : r.turns) bytes += static_cast<int64_t>(turn.content.size());
      int64_t tokens = (bytes + kBytesPerTextToken - 1) / kBytesPerTextToken +
                       kTokensPerTurn * static_cast<int64_t>(r.turns.size());
      for (const data::ImageRef& image : r.images) {
        text::ImageSize size{image.width, image.height};
        try {
          if (size.width <= 0 || size.height <= 0) {
            const io::ImageDimensions d = io::read_image_dimensions(image.path);
            size = {d.width, d.height};
          }
          const std::string label = r.file + ":" + std::to_string(r.row);
          stats.max_image_tokens = std::max(stats.max_image_tokens, counter.image_tokens(size, label));
          tokens += counter.block_tokens(size, label);
          ++stats.images;
        } catch (const std::exception&) {
          ++stats.unreadable_images;
        }
      }
      lengths.push_back(tokens);
      if (tokens > config.cutoff_len) ++stats.over_cutoff;
    }
    std::sort(lengths.begin(), lengths.end());
    stats.samples_measured = static_cast<int64_t>(lengths.size());
    stats.min_tokens = lengths.front();
    stats.median_tokens = lengths[lengths.size() / 2];
    stats.max_tokens = lengths.back();
  } catch (const std::exception& e) {
    stats.error = e.what();
  }
  return stats;
}

// VRAM ≈ weights + optimizer + activations, where
//   weights     = parameters × (2 bytes in bf16/fp16, else 4)
//   optimizer   = trainable × 16 bytes (fp32 master copy 4 + gradient 4 + AdamW m and v 8)
//   activations = rows × tokens × (layers_kept × per_layer + vocab × 8), rows = batch (DPO: 2 × batch,
//     the chosen and the rejected sequence; its reference pass keeps nothing for backward)
//     per_layer without checkpointing = b × (6·hidden + 2·attention + 2·kv + 4·intermediate): the
//       tensors backward keeps per token (norm inputs/outputs, q/k/v, attention output, the MLP's
//       gate, up, activation and product); b = 2 bytes in bf16/fp16, else 4
//     with checkpointing each layer keeps only its input (b × hidden) and one layer at a time is
//       recomputed with the full per_layer set; offloaded (use_unsloth_gc) those inputs are in host
//       memory (`host`) but for the one layer being recomputed
//     vocab × 8: the float32 logits and their gradient
// The vision tower, CUDA's own context and allocator fragmentation are not counted; the real peak
// is typically 10–30% higher.
MemoryEstimate estimate_memory(const ModelSummary& m, const train::TrainConfig& c, int64_t tokens_per_sample) {
  MemoryEstimate e;
  const double b = static_cast<double>(training_dtype_bytes(c));
  e.weights = static_cast<double>(m.parameters) * b;
  switch (c.finetuning_type) {
    case train::FinetuningType::lora: e.trainable_parameters = lora_parameters(m, c); break;
    case train::FinetuningType::freeze:
      e.trainable_parameters =
          layer_parameters(m) * std::min<int64_t>(m.layers, std::abs(c.freeze_trainable_layers));
      break;
    case train::FinetuningType::full: e.trainable_parameters = m.parameters; break;
  }
  e.optimizer = static_cast<double>(e.trainable_parameters) * 16.0;
  const double per_layer =
      b * static_cast<double>(6 * m.hidden + 2 * m.attention_width + 2 * m.kv_width + 4 * m.intermediate);
  const double layers = static_cast<double>(m.layers);
  const double layer_input = b * static_cast<double>(m.hidden);
  const bool offloaded = train::checkpoints_offloaded(c);
  const double per_token = c.disable_gradient_checkpointing ? layers * per_layer
                           : offloaded                      ? layer_input + per_layer
                                                            : layers * layer_input + per_layer;
  const double rows = static_cast<double>(std::max<int64_t>(c.per_device_train_batch_size, 1)) *
                      (c.stage == train::Stage::dpo ? 2.0 : 1.0);  // DPO: a chosen and a rejected row per sample
  const double tokens = static_cast<double>(std::max<int64_t>(tokens_per_sample, 0)) * rows;
  e.activations = tokens * (per_token + static_cast<double>(m.vocab) * 8.0);
  if (offloaded) e.host = tokens * layers * layer_input;
  return e;
}

TrainEstimate estimate_training(const train::TrainConfig& config, int64_t max_samples) {
  TrainEstimate out;
  out.model = summarize_model(config.model_name_or_path);
  out.tokens = out.model.error.empty() ? measure_sample_tokens(config, max_samples) : TokenStats{};
  if (out.model.error.empty()) {
    // Packed rows fill up to cutoff_len whatever the samples' own lengths.
    const bool packed = config.packing || config.neat_packing;
    const int64_t tokens =
        out.tokens.error.empty() && !packed ? std::min(out.tokens.max_tokens, config.cutoff_len) : config.cutoff_len;
    out.memory = estimate_memory(out.model, config, tokens);
  }
  return out;
}

}  // namespace vltune
