#pragma once
// The checkpoint files beside config.json: generation_config.json, preprocessor_config.json and
// tokenizer_config.json, as plain structs. Absent keys take the transformers defaults (named on
// each struct). Whether an optional file exists is the caller's business: the readers throw
// FileError for a missing file like read_json_file does, FormatError (naming the file and key) for
// a malformed one.

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/io/json_file.h"

namespace vltune::io {

// generation_config.json. Defaults: GenerationConfig._get_default_generation_params()
// (transformers generation/configuration_utils.py; the v4 constructor defaults, the same values).
struct GenerationConfig {
  std::optional<int64_t> bos_token_id;   // none unless given
  std::vector<int64_t> eos_token_ids;    // `eos_token_id`: one id or a list; empty when not given
  std::optional<int64_t> pad_token_id;   // none unless given
  bool do_sample = false;                // sample (true) or greedy/beam (false)
  double temperature = 1.0;              // logits divisor when sampling
  double top_p = 1.0;                    // nucleus sampling mass (1 = off)
  int64_t top_k = 50;                    // sample among the k most likely (0 = off)
  std::optional<int64_t> max_new_tokens; // limit on generated tokens; none = max_length applies
  int64_t max_length = 20;               // limit on prompt + generated tokens
  double repetition_penalty = 1.0;       // CTRL repetition penalty (1 = off)
  std::optional<double> min_p;           // drop tokens below min_p * the top probability when sampling; none = off
  std::vector<std::string> stop_strings; // `stop_strings`: one string or a list; empty when not given

  bool operator==(const GenerationConfig&) const = default;
};

// Which image processor a preprocessor_config.json is for (from image_processor_type, ignoring
// the Fast / Pil backend suffixes; older files' feature_extractor_type counts too).
enum class ImageProcessorKind {
  qwen2_vl,  // Qwen2VLImageProcessor (Qwen2-VL and Qwen2.5-VL)
  idefics3,  // Idefics3ImageProcessor, SmolVLMImageProcessor
  clip,      // CLIPImageProcessor, CLIPFeatureExtractor (CLIP, LLaVA-1.5)
  other,     // anything else: the keys in the file, the member defaults (CLIP's) otherwise
};

// preprocessor_config.json. Absent keys take the processor class's defaults
// (qwen2_vl/image_processing_qwen2_vl.py, idefics3/image_processing_idefics3.py,
// clip/image_processing_clip.py); the member defaults below are CLIPImageProcessor's.
struct PreprocessorConfig {
  std::string image_processor_type;              // as written (e.g. "Qwen2VLImageProcessor"); empty when absent
  ImageProcessorKind kind = ImageProcessorKind::other;  // derived from image_processor_type
  bool do_resize = true;                         // resize (Qwen: smart_resize to the pixel budget)
  bool do_rescale = true;                        // multiply by rescale_factor
  double rescale_factor = 1.0 / 255.0;           // 0-255 -> 0-1
  bool do_normalize = true;                      // subtract image_mean, divide by image_std
  bool do_convert_rgb = true;                    // convert to 3-channel RGB first
  std::vector<double> image_mean = {0.48145466, 0.4578275, 0.40821073};   // per channel (OpenAI CLIP)
  std::vector<double> image_std = {0.26862954, 0.26130258, 0.27577711};   // per channel (OpenAI CLIP)
  int64_t resample = 3;                          // PIL filter: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic
  std::map<std::string, int64_t> size = {{"shortest_edge", 224}};  // the given keys: shortest_edge, longest_edge, height, width (Qwen: min/max pixels)
  // Qwen2-VL / Qwen2.5-VL: the pixel budget (size.shortest_edge / size.longest_edge, or v4's
  // top-level min_pixels / max_pixels, which override size as in transformers) and patching.
  int64_t min_pixels = 56 * 56;                  // smallest resized area, pixels
  int64_t max_pixels = 28 * 28 * 1280;           // largest resized area, pixels
  int64_t patch_size = 14;                       // patch side, pixels
  int64_t temporal_patch_size = 2;               // frames per patch
  int64_t merge_size = 2;                        // patches merged per side into one token
  // Idefics3 / SmolVLM (class defaults: true, {longest_edge: 364}, true).
  bool do_image_splitting = false;               // split large images into max_image_size tiles + a global view
  std::map<std::string, int64_t> max_image_size; // tile size ({longest_edge: N})
  bool do_pad = false;                           // pad the tile lists to the longest in the batch
  // CLIP (Qwen and Idefics3 processors do not crop: false and empty for them).
  bool do_center_crop = true;                    // center-crop to crop_size after resizing
  std::map<std::string, int64_t> crop_size = {{"height", 224}, {"width", 224}};  // crop height/width

  bool operator==(const PreprocessorConfig&) const = default;
};

// One entry of tokenizer_config.json's added_tokens_decoder.
struct AddedTokenInfo {
  std::string content;       // the token text
  bool special = false;      // skipped by decode(skip_special_tokens=True)
  bool lstrip = false;       // eats whitespace on its left
  bool rstrip = false;       // eats whitespace on its right
  bool normalized = true;    // matched after normalization
  bool single_word = false;  // only matches whole words

  bool operator==(const AddedTokenInfo&) const = default;
};

// A named chat template; a file with a single template string gives one named "default".
struct ChatTemplate {
  std::string name = "default";  // "default", "tool_use", ...
  std::string source;            // the Jinja text

  bool operator==(const ChatTemplate&) const = default;
};

// model_max_length of a tokenizer without a limit (transformers writes int(1e30)): values that do
// not fit are clamped to this.
inline constexpr int64_t kUnlimitedModelMaxLength = std::numeric_limits<int64_t>::max();

// tokenizer_config.json. Special tokens may be written as strings or as AddedToken objects
// ({"content": ...}); both read as their text.
struct TokenizerConfig {
  std::string tokenizer_class;                       // e.g. "Qwen2Tokenizer", "LlamaTokenizer"; empty when absent
  std::optional<std::string> bos_token;              // none when absent or null
  std::optional<std::string> eos_token;              // none when absent or null
  std::optional<std::string> pad_token;              // none when absent or null
  std::optional<std::string> unk_token;              // none when absent or null
  std::vector<std::string> additional_special_tokens;  // `additional_special_tokens` or v5 `extra_special_tokens` (list form)
  int64_t model_max_length = kUnlimitedModelMaxLength;  // longest input; huge values (1e30) clamp to kUnlimitedModelMaxLength
  std::optional<bool> add_bos_token;                 // none = the tokenizer class / post-processor decides
  std::optional<bool> add_eos_token;                 // none = the tokenizer class / post-processor decides
  std::vector<ChatTemplate> chat_templates;          // `chat_template`: a string or a list of {name, template}
  std::string padding_side = "right";                // "right" or "left"
  std::map<int64_t, AddedTokenInfo> added_tokens_decoder;  // id -> added token

  // The template called `name`, or nullptr.
  const ChatTemplate* chat_template(const std::string& name = "default") const;

  bool operator==(const TokenizerConfig&) const = default;
};

GenerationConfig read_generation_config(const std::filesystem::path& path);
GenerationConfig parse_generation_config(const Json& config, const std::string& label);

PreprocessorConfig read_preprocessor_config(const std::filesystem::path& path);
PreprocessorConfig parse_preprocessor_config(const Json& config, const std::string& label);

TokenizerConfig read_tokenizer_config(const std::filesystem::path& path);
TokenizerConfig parse_tokenizer_config(const Json& config, const std::string& label);

}  // namespace vltune::io
