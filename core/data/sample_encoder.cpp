#include "core/data/sample_encoder.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <span>
#include <utility>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/io/aux_configs.h"
#include "core/text/chat_prompt.h"
#include "core/text/pairwise_encoding.h"
#include "core/vision/image_io.h"

namespace vltune::data {

namespace fs = std::filesystem;

namespace {

std::string size_text(text::ImageSize s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

// The image token id config.json gives the model (what its forward replaces with image features).
int64_t config_image_token_id(const io::ModelConfig& config) {
  switch (config.family()) {
    case io::ModelFamily::qwen2_vl: return config.qwen2_vl().image_token_id;
    case io::ModelFamily::qwen2_5_vl: return config.qwen2_5_vl().image_token_id;
    case io::ModelFamily::idefics3: return config.idefics3().image_token_id;
    case io::ModelFamily::llava: return config.llava().image_token_id;
    case io::ModelFamily::clip: break;
  }
  return -1;
}

// `message` starting with `where` (once).
std::string with_where(const std::string& where, const char* message) {
  const std::string m = message;
  return m.starts_with(where) ? m : where + ": " + m;
}

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

// Tiles of several images, [n_i, C, h_i, w_i] each -> [sum n_i, C, H, W] zero-padded bottom/right to
// the largest, and the mask [sum n_i, H, W] of real pixels (Idefics3ImageProcessor's padding).
std::pair<at::Tensor, at::Tensor> stack_tiles(const std::vector<at::Tensor>& images) {
  int64_t n = 0, h = 0, w = 0;
  for (const auto& t : images) {
    n += t.size(0);
    h = std::max(h, t.size(2));
    w = std::max(w, t.size(3));
  }
  const int64_t c = images.front().size(1);
  const auto dtype = images.front().scalar_type();
  // uint8 tiles are normalised later, where a zero would not stay zero: they must all be whole.
  if (dtype == at::kByte)
    for (const auto& t : images)
      if (t.size(2) != h || t.size(3) != w) throw Error("uint8 tiles of different sizes cannot be stacked; normalise them first");
  at::Tensor pixels = at::zeros({n, c, h, w}, images.front().options().dtype(dtype));
  at::Tensor mask = at::zeros({n, h, w}, at::kLong);
  int64_t at_tile = 0;
  for (const auto& t : images) {
    pixels.narrow(0, at_tile, t.size(0)).narrow(2, 0, t.size(2)).narrow(3, 0, t.size(3)).copy_(t);
    mask.narrow(0, at_tile, t.size(0)).narrow(1, 0, t.size(2)).narrow(2, 0, t.size(3)).fill_(1);
    at_tile += t.size(0);
  }
  return {pixels, mask};
}

}  // namespace

std::string record_label(const Record& record) { return record.file + " row " + std::to_string(record.row); }

SampleEncoder::SampleEncoder(const fs::path& model_folder, EncoderParams params) : m_params(std::move(params)) {
  m_config = io::read_model_config(model_folder);
  m_tokenizer = text::load_tokenizer(model_folder);
  const io::PreprocessorConfig pre = io::read_preprocessor_config(model_folder / "preprocessor_config.json");
  const bool clip = family() == io::ModelFamily::clip;
  if (!clip) {
    m_layout = text::load_image_layout(model_folder);
    std::string name = m_params.template_name;
    if (name.empty()) name = text::default_template_for_model_type(m_config.model_type);
    if (name.empty())
      throw Error(model_folder.string() + ": model_type \"" + m_config.model_type + "\" has no default template; name one");
    m_template = &text::get_template(name);
    if (m_template->image_plugin != m_layout.plugin)
      throw Error("template " + m_template->name + " expands images for " +
                  std::string(text::image_plugin_name(m_template->image_plugin)) + " models, but " +
                  model_folder.string() + " is a " + std::string(io::model_family_name(family())) + " model");
    m_image_token_id = m_tokenizer->require_id(m_layout.image_token);
    if (m_image_token_id != config_image_token_id(m_config))
      throw FormatError((model_folder / "config.json").string() + ": the image token id is " +
                        std::to_string(config_image_token_id(m_config)) + " but the tokenizer (" +
                        m_tokenizer->source().string() + ") gives " + m_layout.image_token + " id " +
                        std::to_string(m_image_token_id));
  } else {
    m_layout.preprocessor = pre;
  }
  m_images = std::make_unique<ImagePreprocessor>(family(), m_layout, pre,
                                                 m_template && m_template->llamafactory_image_resize,
                                                 m_params.supervised.image);
  const auto& specials = m_tokenizer->special_tokens();
  if (specials.pad_id) m_pad_id = *specials.pad_id;
  else if (specials.eos_id) m_pad_id = *specials.eos_id;  // LLaMA-Factory pads with EOS when there is no pad token
  else throw FormatError(m_tokenizer->source().string() + ": the tokenizer has neither a pad nor an EOS token to pad with");
  if (!m_params.cache_dir.empty()) m_cache = std::make_unique<ImageCache>(m_params.cache_dir, m_params.cache);
}

ProcessedImage SampleEncoder::load_image(const fs::path& path, const std::string& label) const {
  const bool normalize = !m_params.raw_pixels;
  const std::optional<std::string> key = m_cache ? ImageCache::key(path, m_images->fingerprint()) : std::nullopt;
  if (key)
    if (const auto hit = m_cache->load(*key, *m_images)) return m_images->finish(hit->prepared, hit->source, label, normalize);
  const at::Tensor rgb = vision::read_image_rgb(path);  // [3, H, W] uint8, upright
  const text::ImageSize source{rgb.size(2), rgb.size(1)};
  const at::Tensor prepared = m_images->prepare(rgb, label);
  if (key && ImageCache::worth_keeping(source, {prepared.size(2), prepared.size(1)})) m_cache->store(*key, {source, prepared});
  return m_images->finish(prepared, source, label, normalize);
}

namespace {

// f(), its errors re-thrown with `where` in front (once), keeping their kind.
template <typename F>
EncodedExample labelled(const std::string& where, F&& f) {
  try {
    return f();
  } catch (const FileError& e) {
    throw FileError(with_where(where, e.what()));
  } catch (const FormatError& e) {
    throw FormatError(with_where(where, e.what()));
  } catch (const std::exception& e) {  // vltune::Error, and LibTorch's c10::Error
    throw Error(with_where(where, e.what()));
  }
}

}  // namespace

EncodedExample SampleEncoder::encode(const Record& record, int64_t index) const {
  const std::string where = record_label(record);
  EncodedExample ex = labelled(where, [&] {
    return family() == io::ModelFamily::clip ? encode_clip(record, where) : encode_chat(record, where);
  });
  ex.index = index;
  ex.where = where;
  return ex;
}

int64_t SampleEncoder::encoded_length(const Record& record) const {
  const std::string where = record_label(record);
  if (family() == io::ModelFamily::clip) throw Error(where + ": CLIP captions are not measured for packing");
  if (record.rejected) return static_cast<int64_t>(encode(record).input_ids.size());
  const EncodedExample ex = labelled(where, [&] {
    text::Conversation conv = to_conversation(record);
    conv.label = where;
    if (conv.images.size() != record.images.size())
      throw Error(where + ": " + std::to_string(conv.images.size()) + " image sizes for " +
                  std::to_string(record.images.size()) + " images");
    for (size_t i = 0; i < record.images.size(); ++i) {
      const fs::path& path = record.images[i].path;
      if (path.empty()) throw FileError(where + ": image \"" + record.images[i].written + "\" was not found");
      // The upright size from the file's header: measuring 10,000 photos this way takes seconds,
      // decoding them most of an hour.
      conv.images[i] = probe_image_size(path);
    }
    EncodedExample out;
    out.input_ids = text::encode_supervised(*m_template, *m_tokenizer, m_layout, conv, m_params.supervised).input_ids;
    return out;
  });
  return static_cast<int64_t>(ex.input_ids.size());
}

EncodedExample SampleEncoder::encode_prompt(const Record& record, int64_t index) const {
  const std::string where = record_label(record);
  if (family() == io::ModelFamily::clip) throw Error(where + ": CLIP has no generation prompt");
  EncodedExample ex = labelled(where, [&] { return encode_chat_prompt(record, where); });
  ex.index = index;
  ex.where = where;
  return ex;
}

text::Conversation SampleEncoder::chat_conversation(const Record& record, const std::string& where,
                                                    std::vector<ProcessedImage>& processed) const {
  text::Conversation conv = to_conversation(record);
  conv.label = where;
  if (conv.images.size() != record.images.size())
    throw Error(where + ": " + std::to_string(conv.images.size()) + " image sizes for " +
                std::to_string(record.images.size()) + " images");
  processed.clear();
  for (size_t i = 0; i < record.images.size(); ++i) {
    const fs::path& path = record.images[i].path;
    if (path.empty()) throw FileError(where + ": image \"" + record.images[i].written + "\" was not found");
    processed.push_back(load_image(path, "image " + std::to_string(i) + " (" + path.string() + ")"));
    conv.images[i] = processed.back().source;  // the decoded, upright size
  }
  return conv;
}

EncodedExample SampleEncoder::encode_chat(const Record& record, const std::string& where) const {
  std::vector<ProcessedImage> processed;
  const text::Conversation conv = chat_conversation(record, where, processed);
  EncodedExample ex;
  std::vector<size_t> images;
  if (record.rejected) {
    text::EncodedPair pair =
        text::encode_pairwise(*m_template, *m_tokenizer, m_layout, conv, *record.rejected, m_params.supervised);
    ex.input_ids = std::move(pair.chosen_ids);
    ex.labels = std::move(pair.chosen_labels);
    ex.rejected_input_ids = std::move(pair.rejected_ids);
    ex.rejected_labels = std::move(pair.rejected_labels);
    ex.notes = std::move(pair.notes);
    ex.image_sizes = std::move(pair.image_sizes);
    images = std::move(pair.images);
  } else {
    text::EncodedSample enc = text::encode_supervised(*m_template, *m_tokenizer, m_layout, conv, m_params.supervised);
    ex.input_ids = std::move(enc.input_ids);
    ex.labels = std::move(enc.labels);
    ex.notes = std::move(enc.notes);
    ex.image_sizes = std::move(enc.image_sizes);
    images = std::move(enc.images);
  }
  std::vector<const ProcessedImage*> kept;
  for (size_t k = 0; k < images.size(); ++k) {
    const ProcessedImage& p = processed[images[k]];
    if (ex.image_sizes[k] != p.target)
      throw Error(where + ": image " + std::to_string(images[k]) + " was expanded for " +
                  size_text(ex.image_sizes[k]) + " but processed at " + size_text(p.target));
    kept.push_back(&p);
  }
  attach_images(ex, kept, where);
  return ex;
}

EncodedExample SampleEncoder::encode_chat_prompt(const Record& record, const std::string& where) const {
  std::vector<ProcessedImage> processed;
  text::Conversation conv = chat_conversation(record, where, processed);
  if (!conv.messages.empty() && conv.messages.back().role == text::Role::assistant) conv.messages.pop_back();
  // No published format: the training template's prompt half (build_chat_prompt's LLaMA-Factory path).
  text::ChatTemplateChoice choice;
  choice.llamafactory_template = m_template->name;
  const text::ChatPrompt prompt = text::build_chat_prompt(choice, *m_tokenizer, m_layout, conv, m_params.supervised.image);

  EncodedExample ex;
  ex.input_ids = prompt.input_ids;
  ex.labels.assign(ex.input_ids.size(), text::kIgnoreIndex);
  std::vector<const ProcessedImage*> kept;
  for (const auto& p : processed) {
    kept.push_back(&p);
    ex.image_sizes.push_back(p.target);
  }
  attach_images(ex, kept, where);
  return ex;
}

void SampleEncoder::attach_images(EncodedExample& ex, const std::vector<const ProcessedImage*>& kept,
                                  const std::string& where) const {
  int64_t expected_tokens = 0;
  std::vector<at::Tensor> pixels, grids;
  for (const ProcessedImage* p : kept) {
    expected_tokens += m_images->image_tokens(*p);
    pixels.push_back(p->pixel_values);
    if (p->image_grid_thw.defined()) grids.push_back(p->image_grid_thw);
  }
  const auto in_ids = static_cast<int64_t>(std::count(ex.input_ids.begin(), ex.input_ids.end(), m_image_token_id));
  if (in_ids != expected_tokens)
    throw FormatError(where + ": the ids hold " + std::to_string(in_ids) + " image tokens (" + m_layout.image_token +
                      ") but the processed images stand for " + std::to_string(expected_tokens));
  if (pixels.empty()) return;
  if (m_params.raw_pixels) ex.pixel_table = m_images->pixel_table();
  switch (family()) {
    case io::ModelFamily::qwen2_vl:
    case io::ModelFamily::qwen2_5_vl:
      ex.pixel_values = at::cat(pixels, 0);  // [rows, C*T*P*P]
      ex.image_grid_thw = at::cat(grids, 0);  // [images, 3]
      break;
    case io::ModelFamily::llava:
      for (const auto& p : pixels)
        if (p.sizes() != pixels.front().sizes())
          throw FormatError(where + ": the processor made images of different sizes; LLaVA stacks them, so "
                            "preprocessor_config.json needs a crop_size");
      ex.pixel_values = at::cat(pixels, 0);  // [images, C, H, W]
      break;
    case io::ModelFamily::idefics3: {
      auto [tiles, mask] = stack_tiles(pixels);
      ex.pixel_values = tiles;           // [tiles, C, H, W]
      ex.pixel_attention_mask = mask;    // [tiles, H, W]
      break;
    }
    case io::ModelFamily::clip: break;
  }
}

EncodedExample SampleEncoder::encode_clip(const Record& record, const std::string& where) const {
  if (record.images.size() != 1)
    throw FormatError(where + ": CLIP trains on one image per caption; this row has " +
                      std::to_string(record.images.size()));
  const ImageRef& ref = record.images.front();
  if (ref.path.empty()) throw FileError(where + ": image \"" + ref.written + "\" was not found");
  std::string caption = record.caption;
  if (blank(caption))
    for (auto it = record.turns.rbegin(); it != record.turns.rend(); ++it)
      if (it->role == "assistant") {
        caption = it->content;
        break;
      }
  if (blank(caption)) throw FormatError(where + ": no caption to train CLIP on (no caption and no assistant turn)");

  EncodedExample ex;
  ex.input_ids = m_tokenizer->encode(caption, /*add_special=*/true);
  // transformers truncates the text before adding the special tokens: the end token stays last,
  // where CLIP pools.
  const auto max = static_cast<size_t>(m_config.clip().text.max_position_embeddings);
  if (ex.input_ids.size() > max && max >= 2) {
    ex.notes.push_back("caption cut from " + std::to_string(ex.input_ids.size()) + " to " + std::to_string(max) +
                       " tokens (max_position_embeddings)");
    const text::TokenId last = ex.input_ids.back();
    ex.input_ids.resize(max - 1);
    ex.input_ids.push_back(last);
  }
  const ProcessedImage image = load_image(ref.path, "image 0 (" + ref.path.string() + ")");
  ex.pixel_values = image.pixel_values;  // [1, C, H, W]
  if (m_params.raw_pixels) ex.pixel_table = m_images->pixel_table();
  ex.image_sizes = {image.target};
  return ex;
}

}  // namespace vltune::data
