#include "core/io/aux_configs.h"

#include <charconv>
#include <cmath>

#include "core/error.h"

namespace vltune::io {

namespace {

void require_object(const Json& config, const std::string& label) {
  if (!config.is_object()) throw FormatError(label + ": expected a JSON object");
}

// ------------------------------------------------------------------------------------------------
// preprocessor_config.json

// A size-like object ({"shortest_edge": 224}, {"height": 56, "width": 56}) as a map; a bare
// integer becomes {shortest_edge: n} or {height: n, width: n} (transformers' get_size_dict).
std::map<std::string, int64_t> read_size_map(const Json& value, const std::string& key,
                                             const std::string& where, bool int_is_shortest_edge) {
  std::map<std::string, int64_t> out;
  if (value.is_number()) {
    const int64_t n = detail::JsonReader<int64_t>::read(value, key, where);
    if (int_is_shortest_edge)
      out["shortest_edge"] = n;
    else
      out = {{"height", n}, {"width", n}};
    return out;
  }
  if (!value.is_object()) throw_wrong_type(key, where, "an object or an integer", value);
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (it->is_null()) continue;  // some writers list every possible key with nulls
    out[it.key()] = detail::JsonReader<int64_t>::read(*it, key + "." + it.key(), where);
  }
  return out;
}

void read_size_into(std::map<std::string, int64_t>& field, const Json& object, const std::string& key,
                    const std::string& where, bool int_is_shortest_edge) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return;
  field = read_size_map(*it, key, where, int_is_shortest_edge);
}

// image_mean / image_std: a list, or one number for every channel.
void read_channels(std::vector<double>& field, const Json& object, const std::string& key,
                   const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return;
  if (it->is_number())
    field.assign(3, detail::JsonReader<double>::read(*it, key, where));
  else
    field = detail::JsonReader<std::vector<double>>::read(*it, key, where);
}

ImageProcessorKind processor_kind(std::string type) {
  for (const char* suffix : {"Fast", "Pil"}) {
    const std::string s = suffix;
    if (type.size() > s.size() && type.compare(type.size() - s.size(), s.size(), s) == 0)
      type.resize(type.size() - s.size());
  }
  if (type == "Qwen2VLImageProcessor") return ImageProcessorKind::qwen2_vl;
  if (type == "Idefics3ImageProcessor" || type == "SmolVLMImageProcessor")
    return ImageProcessorKind::idefics3;
  if (type == "CLIPImageProcessor" || type == "CLIPFeatureExtractor") return ImageProcessorKind::clip;
  return ImageProcessorKind::other;
}

// The processor class's defaults.
PreprocessorConfig preprocessor_defaults(ImageProcessorKind kind) {
  PreprocessorConfig c;  // CLIPImageProcessor (clip/image_processing_clip.py)
  c.kind = kind;
  switch (kind) {
    case ImageProcessorKind::qwen2_vl:
      // Qwen2VLImageProcessor (qwen2_vl/image_processing_qwen2_vl.py): OpenAI CLIP mean/std,
      // bicubic, size {shortest_edge: 56*56, longest_edge: 28*28*1280}, patch 14, merge 2.
      c.size = {{"shortest_edge", 56 * 56}, {"longest_edge", 28 * 28 * 1280}};
      c.do_center_crop = false;
      c.crop_size.clear();
      break;
    case ImageProcessorKind::idefics3:
      // Idefics3ImageProcessor (idefics3/image_processing_idefics3.py): LANCZOS, mean/std 0.5,
      // size {longest_edge: 4*364}, tiles of {longest_edge: 364}, splitting and padding on.
      c.resample = 1;
      c.image_mean = {0.5, 0.5, 0.5};
      c.image_std = {0.5, 0.5, 0.5};
      c.size = {{"longest_edge", 4 * 364}};
      c.do_image_splitting = true;
      c.max_image_size = {{"longest_edge", 364}};
      c.do_pad = true;
      c.do_center_crop = false;
      c.crop_size.clear();
      break;
    case ImageProcessorKind::clip:
    case ImageProcessorKind::other:
      break;
  }
  return c;
}

// ------------------------------------------------------------------------------------------------
// tokenizer_config.json

// A special token: a string, or an AddedToken object whose "content" is the text.
std::optional<std::string> token_text(const Json& value, const std::string& key, const std::string& where) {
  if (value.is_null()) return std::nullopt;
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object()) return get_required<std::string>(value, "content", where + ": " + key);
  throw_wrong_type(key, where, "a string or an AddedToken object", value);
}

void read_token(std::optional<std::string>& field, const Json& object, const std::string& key,
                const std::string& where) {
  auto it = object.find(key);
  if (it == object.end()) return;
  field = token_text(*it, key, where);
}

void read_token_list(std::vector<std::string>& field, const Json& object, const std::string& key,
                     const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return;
  // v5 may write extra_special_tokens as {name: token}; take the tokens.
  if (!it->is_array() && !it->is_object()) throw_wrong_type(key, where, "a list", *it);
  size_t i = 0;
  for (auto element = it->begin(); element != it->end(); ++element, ++i) {
    const std::string element_key =
        key + (it->is_array() ? "[" + std::to_string(i) + "]" : "." + element.key());
    if (auto text = token_text(*element, element_key, where)) field.push_back(*text);
  }
}

int64_t read_model_max_length(const Json& value, const std::string& where) {
  const char* key = "model_max_length";
  if (value.is_number_unsigned()) {
    const auto n = value.get<uint64_t>();
    return n > static_cast<uint64_t>(kUnlimitedModelMaxLength) ? kUnlimitedModelMaxLength
                                                                : static_cast<int64_t>(n);
  }
  if (value.is_number_integer()) {
    const auto n = value.get<int64_t>();
    if (n <= 0) throw_bad_value(key, where, "should be positive, got " + std::to_string(n));
    return n;
  }
  if (value.is_number_float()) {
    // int(1e30) does not fit JSON integers of most readers: it arrives as a float.
    const double d = value.get<double>();
    if (!(d > 0)) throw_bad_value(key, where, "should be positive, got " + value.dump());
    if (d >= 9.2e18) return kUnlimitedModelMaxLength;
    return static_cast<int64_t>(std::floor(d));
  }
  throw_wrong_type(key, where, "a number", value);
}

std::vector<ChatTemplate> read_chat_templates(const Json& value, const std::string& where) {
  const std::string key = "chat_template";
  if (value.is_string()) return {ChatTemplate{"default", value.get<std::string>()}};
  if (!value.is_array()) throw_wrong_type(key, where, "a string or a list of {name, template}", value);
  std::vector<ChatTemplate> out;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string item_where = where + ": " + key + "[" + std::to_string(i) + "]";
    if (!value[i].is_object())
      throw_wrong_type(key + "[" + std::to_string(i) + "]", where, "an object", value[i]);
    out.push_back({get_required<std::string>(value[i], "name", item_where),
                   get_required<std::string>(value[i], "template", item_where)});
  }
  return out;
}

std::map<int64_t, AddedTokenInfo> read_added_tokens(const Json& value, const std::string& where) {
  const std::string key = "added_tokens_decoder";
  if (!value.is_object()) throw_wrong_type(key, where, "an object", value);
  std::map<int64_t, AddedTokenInfo> out;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string& id_text = it.key();
    int64_t id = 0;
    const auto [end, error] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (error != std::errc() || end != id_text.data() + id_text.size() || id < 0)
      throw_bad_value(key, where, "has \"" + id_text + "\", which is not a token id");
    const std::string entry_where = where + ": " + key + "." + id_text;
    if (!it->is_object()) throw_wrong_type(key + "." + id_text, where, "an object", *it);
    AddedTokenInfo token;
    token.content = get_required<std::string>(*it, "content", entry_where);
    read_into(token.special, *it, "special", entry_where);
    read_into(token.lstrip, *it, "lstrip", entry_where);
    read_into(token.rstrip, *it, "rstrip", entry_where);
    read_into(token.normalized, *it, "normalized", entry_where);
    read_into(token.single_word, *it, "single_word", entry_where);
    out[id] = std::move(token);
  }
  return out;
}

}  // namespace

// --------------------------------------------------------------------------------------------------

GenerationConfig parse_generation_config(const Json& config, const std::string& label) {
  require_object(config, label);
  GenerationConfig c;
  read_nullable_id(c.bos_token_id, config, "bos_token_id", label);
  read_token_ids(c.eos_token_ids, config, "eos_token_id", label);
  read_nullable_id(c.pad_token_id, config, "pad_token_id", label);
  read_into(c.do_sample, config, "do_sample", label);
  read_into(c.temperature, config, "temperature", label);
  read_into(c.top_p, config, "top_p", label);
  read_into(c.top_k, config, "top_k", label);
  read_nullable_id(c.max_new_tokens, config, "max_new_tokens", label);
  read_into(c.max_length, config, "max_length", label);
  read_into(c.repetition_penalty, config, "repetition_penalty", label);
  if (auto min_p = get_optional<double>(config, "min_p", label)) c.min_p = *min_p;
  if (auto it = config.find("stop_strings"); it != config.end() && !it->is_null()) {
    // One string or a list of them (GenerationConfig accepts both).
    if (it->is_string())
      c.stop_strings = {it->get<std::string>()};
    else
      c.stop_strings = detail::JsonReader<std::vector<std::string>>::read(*it, "stop_strings", label);
    for (const auto& s : c.stop_strings)
      if (s.empty()) throw_bad_value("stop_strings", label, "holds an empty string");
  }
  if (c.max_new_tokens && *c.max_new_tokens <= 0)
    throw_bad_value("max_new_tokens", label,
                    "should be positive, got " + std::to_string(*c.max_new_tokens));
  if (c.temperature < 0) throw_bad_value("temperature", label, "should not be negative");
  if (c.top_p < 0 || c.top_p > 1) throw_bad_value("top_p", label, "should be in [0, 1]");
  if (c.top_k < 0) throw_bad_value("top_k", label, "should not be negative");
  if (c.min_p && (*c.min_p < 0 || *c.min_p > 1)) throw_bad_value("min_p", label, "should be in [0, 1]");
  if (c.repetition_penalty <= 0) throw_bad_value("repetition_penalty", label, "should be positive");
  return c;
}

GenerationConfig read_generation_config(const std::filesystem::path& path) {
  return parse_generation_config(read_json_file(path), path.string());
}

PreprocessorConfig parse_preprocessor_config(const Json& config, const std::string& label) {
  require_object(config, label);
  std::string type = get_or<std::string>(config, "image_processor_type", "", label);
  if (type.empty()) type = get_or<std::string>(config, "feature_extractor_type", "", label);
  PreprocessorConfig c = preprocessor_defaults(processor_kind(type));
  c.image_processor_type = type;

  read_into(c.do_resize, config, "do_resize", label);
  read_into(c.do_rescale, config, "do_rescale", label);
  read_into(c.rescale_factor, config, "rescale_factor", label);
  read_into(c.do_normalize, config, "do_normalize", label);
  read_into(c.do_convert_rgb, config, "do_convert_rgb", label);
  read_channels(c.image_mean, config, "image_mean", label);
  read_channels(c.image_std, config, "image_std", label);
  if (c.image_mean.size() != c.image_std.size())
    throw_bad_value("image_std", label,
                    "has " + std::to_string(c.image_std.size()) + " channels but image_mean has " +
                        std::to_string(c.image_mean.size()));
  for (double s : c.image_std)
    if (!(s != 0)) throw_bad_value("image_std", label, "has a zero channel");
  read_into(c.resample, config, "resample", label);
  read_size_into(c.size, config, "size", label, c.kind == ImageProcessorKind::clip);
  read_into(c.patch_size, config, "patch_size", label);
  read_into(c.temporal_patch_size, config, "temporal_patch_size", label);
  read_into(c.merge_size, config, "merge_size", label);
  read_into(c.do_image_splitting, config, "do_image_splitting", label);
  read_size_into(c.max_image_size, config, "max_image_size", label, false);
  read_into(c.do_pad, config, "do_pad", label);
  read_into(c.do_center_crop, config, "do_center_crop", label);
  read_size_into(c.crop_size, config, "crop_size", label, false);

  if (c.kind == ImageProcessorKind::qwen2_vl) {
    // Qwen2VLImageProcessor.__init__: top-level min_pixels / max_pixels (v4 files) override size's
    // shortest_edge / longest_edge. Older files also spell them inside size.
    for (auto [pixels_key, edge_key] : {std::pair{"min_pixels", "shortest_edge"},
                                        std::pair{"max_pixels", "longest_edge"}}) {
      if (auto pixels = get_optional<int64_t>(config, pixels_key, label)) {
        c.size[edge_key] = *pixels;
        c.size.erase(pixels_key);
      } else if (!c.size.count(edge_key) && c.size.count(pixels_key)) {
        c.size[edge_key] = c.size[pixels_key];
        c.size.erase(pixels_key);
      }
      if (!c.size.count(edge_key))
        throw_bad_value("size", label,
                        std::string("has no \"") + edge_key + "\" (nor a top-level \"" + pixels_key +
                            "\")");
    }
    c.min_pixels = c.size["shortest_edge"];
    c.max_pixels = c.size["longest_edge"];
    if (c.min_pixels <= 0 || c.max_pixels < c.min_pixels)
      throw_bad_value("size", label,
                      "gives min_pixels " + std::to_string(c.min_pixels) + " and max_pixels " +
                          std::to_string(c.max_pixels));
  } else {
    read_into(c.min_pixels, config, "min_pixels", label);
    read_into(c.max_pixels, config, "max_pixels", label);
  }
  for (auto [value, key] : {std::pair{c.patch_size, "patch_size"},
                            std::pair{c.temporal_patch_size, "temporal_patch_size"},
                            std::pair{c.merge_size, "merge_size"}})
    if (value <= 0) throw_bad_value(key, label, "should be positive, got " + std::to_string(value));
  return c;
}

PreprocessorConfig read_preprocessor_config(const std::filesystem::path& path) {
  return parse_preprocessor_config(read_json_file(path), path.string());
}

const ChatTemplate* TokenizerConfig::chat_template(const std::string& name) const {
  for (const auto& t : chat_templates)
    if (t.name == name) return &t;
  return nullptr;
}

TokenizerConfig parse_tokenizer_config(const Json& config, const std::string& label) {
  require_object(config, label);
  TokenizerConfig c;
  read_into(c.tokenizer_class, config, "tokenizer_class", label);
  read_token(c.bos_token, config, "bos_token", label);
  read_token(c.eos_token, config, "eos_token", label);
  read_token(c.pad_token, config, "pad_token", label);
  read_token(c.unk_token, config, "unk_token", label);
  read_token_list(c.additional_special_tokens, config, "additional_special_tokens", label);
  read_token_list(c.additional_special_tokens, config, "extra_special_tokens", label);
  if (auto it = config.find("model_max_length"); it != config.end() && !it->is_null())
    c.model_max_length = read_model_max_length(*it, label);
  c.add_bos_token = get_optional<bool>(config, "add_bos_token", label);
  c.add_eos_token = get_optional<bool>(config, "add_eos_token", label);
  if (auto it = config.find("chat_template"); it != config.end() && !it->is_null())
    c.chat_templates = read_chat_templates(*it, label);
  read_into(c.padding_side, config, "padding_side", label);
  if (c.padding_side != "right" && c.padding_side != "left")
    throw_bad_value("padding_side", label, "is \"" + c.padding_side + "\"; expected \"right\" or \"left\"");
  if (auto it = config.find("added_tokens_decoder"); it != config.end() && !it->is_null())
    c.added_tokens_decoder = read_added_tokens(*it, label);
  return c;
}

TokenizerConfig read_tokenizer_config(const std::filesystem::path& path) {
  return parse_tokenizer_config(read_json_file(path), path.string());
}

}  // namespace vltune::io
