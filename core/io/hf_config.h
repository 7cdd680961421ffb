#pragma once
// Typed Hugging Face checkpoint configs (config.json) for the model families vltune fine-tunes:
// Qwen2-VL, Qwen2.5-VL, Idefics3 / SmolVLM, LLaVA-1.5 and CLIP.
//
// Both layouts transformers has written are read:
//  - v5: nested `text_config` / `vision_config`, RoPE settings in `rope_parameters`;
//  - v4: top-level `rope_theta` and `rope_scaling` (`type` or `rope_type`; Qwen's `"mrope"` means
//    default RoPE plus `mrope_section`), Qwen configs FLAT (text keys at the top level, no
//    `text_config`), llava-hf configs giving only part of `text_config`, CLIP's legacy
//    `text_config_dict` / `vision_config_dict` overrides.
// A key that is absent takes the default of the transformers config class for that family (the
// comment on each struct names the file under src/transformers/models/ it comes from), so a
// default-constructed struct here equals the transformers class constructed without arguments.
// Field names follow the config.json keys.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/io/json_file.h"

namespace vltune::io {

// The model families, in the order of ModelConfig::family_config's alternatives.
enum class ModelFamily { qwen2_vl, qwen2_5_vl, idefics3, llava, clip };

// "qwen2_vl", "qwen2_5_vl", "idefics3", "llava" or "clip".
std::string_view model_family_name(ModelFamily family);

// The config.json `model_type` values read_model_config accepts: qwen2_vl, qwen2_5_vl, idefics3,
// smolvlm (SmolVLM2: the Idefics3 structure under its own name, read as the idefics3 family),
// llava, clip.
const std::vector<std::string>& supported_model_types();

// Rotary position embedding of a text decoder: v5 `rope_parameters`, v4 `rope_theta` +
// `rope_scaling`.
struct RopeParameters {
  double rope_theta = 10000.0;                              // base period of the rotation
  std::string rope_type = "default";                        // "default", "linear", "dynamic", "yarn", "llama3", ...; v4 Qwen "mrope" reads as "default"
  std::vector<int64_t> mrope_section;                       // Qwen M-RoPE frequencies per axis [t, h, w] (sum = head_dim / 2); empty for Llama
  std::optional<double> factor;                             // scaling factor of the non-default rope types
  std::optional<int64_t> original_max_position_embeddings;  // context the scaled rope types were trained for
  std::optional<double> low_freq_factor;                    // llama3 rope
  std::optional<double> high_freq_factor;                   // llama3 rope

  bool operator==(const RopeParameters&) const = default;
};

// The causal language model: Qwen2 decoder (Qwen2-VL, Qwen2.5-VL) or Llama decoder (Idefics3 /
// SmolVLM, LLaVA). Member defaults are LlamaConfig's (llama/configuration_llama.py);
// qwen2_vl_text_defaults() gives Qwen2VLTextConfig's.
struct TextDecoderConfig {
  std::string model_type = "llama";                // "qwen2_vl_text", "qwen2_5_vl_text" or "llama"
  int64_t vocab_size = 32000;                       // rows of embed_tokens and lm_head
  int64_t hidden_size = 4096;                       // residual stream width
  int64_t intermediate_size = 11008;                // MLP (gate/up/down) width
  int64_t num_hidden_layers = 32;                   // decoder layers
  int64_t num_attention_heads = 32;                 // query heads
  int64_t num_key_value_heads = 32;                 // key/value heads (GQA); Llama: absent = num_attention_heads
  int64_t head_dim = 128;                           // per-head width; absent = hidden_size / num_attention_heads
  std::string hidden_act = "silu";                  // MLP activation
  double rms_norm_eps = 1e-6;                       // RMSNorm epsilon
  RopeParameters rope_parameters;                   // rotary embedding
  int64_t max_position_embeddings = 2048;           // longest sequence the model was trained for
  bool tie_word_embeddings = false;                 // lm_head shares embed_tokens' weight (see parse notes in the .cpp)
  bool qkv_bias = false;                            // bias on q/k/v_proj: Llama `attention_bias`; always true for Qwen2 (modeling code)
  bool o_proj_bias = false;                         // bias on o_proj: Llama `attention_bias`; always false for Qwen2
  bool mlp_bias = false;                            // bias on gate/up/down_proj: Llama `mlp_bias`; false for Qwen2
  std::optional<int64_t> bos_token_id = 1;          // beginning of sequence (none when null)
  std::vector<int64_t> eos_token_ids = {2};         // end of sequence: the config gives one id or a list
  std::optional<int64_t> pad_token_id;              // padding (none by default)
  bool use_sliding_window = false;                  // Qwen: sliding-window attention on layers >= max_window_layers
  std::optional<int64_t> sliding_window;            // Qwen: window length; set only when use_sliding_window
  std::optional<int64_t> max_window_layers;         // Qwen: first layer index that may use the window; none for Llama
  std::vector<std::string> layer_types = std::vector<std::string>(32, "full_attention");  // per layer: "full_attention" or "sliding_attention"

  bool operator==(const TextDecoderConfig&) const = default;
};

// Qwen2-VL vision tower (Qwen2VLVisionConfig, qwen2_vl/configuration_qwen2_vl.py).
struct Qwen2VLVisionConfig {
  int64_t depth = 32;                       // transformer blocks
  int64_t embed_dim = 1280;                 // block width
  int64_t hidden_size = 3584;               // patch merger output width (the text hidden_size)
  std::string hidden_act = "quick_gelu";    // block MLP activation
  double mlp_ratio = 4;                     // block MLP width = embed_dim * mlp_ratio
  int64_t num_heads = 16;                   // attention heads
  int64_t in_channels = 3;                  // image channels
  int64_t patch_size = 14;                  // patch side, pixels
  int64_t spatial_merge_size = 2;           // the merger joins merge x merge patches into one token
  int64_t temporal_patch_size = 2;          // frames per patch
  double rope_theta = 10000.0;              // 2-D rotary base (v5 vision_config.rope_parameters.rope_theta)

  bool operator==(const Qwen2VLVisionConfig&) const = default;
};

// Qwen2.5-VL vision tower (Qwen2_5_VLVisionConfig, qwen2_5_vl/configuration_qwen2_5_vl.py).
struct Qwen2_5_VLVisionConfig {
  int64_t depth = 32;                                            // transformer blocks
  int64_t hidden_size = 3584;                                    // block width
  std::string hidden_act = "silu";                               // block (gated) MLP activation
  int64_t intermediate_size = 3420;                              // block MLP width
  int64_t num_heads = 16;                                        // attention heads
  int64_t in_channels = 3;                                       // image channels
  int64_t patch_size = 14;                                       // patch side, pixels
  int64_t spatial_merge_size = 2;                                // the merger joins merge x merge patches into one token
  int64_t temporal_patch_size = 2;                               // frames per patch
  int64_t tokens_per_second = 4;                                 // video: temporal position ids per second
  int64_t window_size = 112;                                     // side of the attention window, pixels
  int64_t out_hidden_size = 3584;                                // patch merger output width (the text hidden_size)
  std::vector<int64_t> fullatt_block_indexes = {7, 15, 23, 31};  // blocks with full (not windowed) attention
  double rope_theta = 10000.0;                                   // 2-D rotary base (v5 vision_config.rope_parameters.rope_theta)

  bool operator==(const Qwen2_5_VLVisionConfig&) const = default;
};

// A ViT image encoder: SigLIP-like for Idefics3 (Idefics3VisionConfig), CLIP for LLaVA and CLIP
// (CLIPVisionConfig). Member defaults are CLIPVisionConfig's (clip/configuration_clip.py);
// idefics3_vision_defaults() and llava_vision_defaults() give the others.
struct VisionTransformerConfig {
  std::string model_type = "clip_vision_model";  // "clip_vision_model", "idefics3_vision" or "smolvlm_vision"
  int64_t hidden_size = 768;                      // block width
  int64_t intermediate_size = 3072;               // block MLP width
  int64_t num_hidden_layers = 12;                 // transformer blocks
  int64_t num_attention_heads = 12;               // attention heads
  int64_t num_channels = 3;                       // image channels
  int64_t image_size = 224;                       // input side, pixels (position embeddings cover (image_size / patch_size)^2 patches)
  int64_t patch_size = 32;                        // patch side, pixels
  std::string hidden_act = "quick_gelu";          // block MLP activation
  double layer_norm_eps = 1e-5;                   // LayerNorm epsilon
  int64_t projection_dim = 512;                   // CLIP: width of visual_projection (the CLIPModel uses the top-level one)

  bool operator==(const VisionTransformerConfig&) const = default;
};

// CLIP text encoder (CLIPTextConfig, clip/configuration_clip.py).
struct ClipTextConfig {
  int64_t vocab_size = 49408;              // token embedding rows
  int64_t hidden_size = 512;               // block width
  int64_t intermediate_size = 2048;        // block MLP width
  int64_t projection_dim = 512;            // width of text_projection (the CLIPModel uses the top-level one)
  int64_t num_hidden_layers = 12;          // transformer blocks
  int64_t num_attention_heads = 8;         // attention heads
  int64_t max_position_embeddings = 77;    // longest token sequence
  std::string hidden_act = "quick_gelu";   // block MLP activation
  double layer_norm_eps = 1e-5;            // LayerNorm epsilon
  int64_t pad_token_id = 1;                // padding
  int64_t bos_token_id = 49406;            // start of text
  int64_t eos_token_id = 49407;            // end of text: the pooled output is taken at this token (legacy: 2 = argmax id)

  bool operator==(const ClipTextConfig&) const = default;
};

// Family defaults of the sub-configs where they differ from the member defaults above.
TextDecoderConfig qwen2_vl_text_defaults();          // Qwen2VLTextConfig (qwen2_vl/configuration_qwen2_vl.py)
TextDecoderConfig qwen2_5_vl_text_defaults();        // Qwen2_5_VLTextConfig (qwen2_5_vl/configuration_qwen2_5_vl.py)
TextDecoderConfig idefics3_text_defaults();          // Idefics3Config without text_config: LlamaConfig(rms_norm_eps=1e-5, pad_token_id=128002)
VisionTransformerConfig idefics3_vision_defaults();  // Idefics3VisionConfig (idefics3/configuration_idefics3.py)
VisionTransformerConfig llava_vision_defaults();     // LlavaConfig without vision_config: CLIP ViT-L/14 at 336 px (llava/configuration_llava.py)

// Qwen2-VL (Qwen2VLConfig, qwen2_vl/configuration_qwen2_vl.py).
struct Qwen2VLConfig {
  TextDecoderConfig text = qwen2_vl_text_defaults();  // language model
  Qwen2VLVisionConfig vision;                         // vision tower + patch merger
  int64_t image_token_id = 151655;                    // placeholder token of one merged image patch
  int64_t video_token_id = 151656;                    // placeholder token of one merged video patch
  int64_t vision_start_token_id = 151652;             // token before an image/video's placeholders
  int64_t vision_end_token_id = 151653;               // token after them

  bool operator==(const Qwen2VLConfig&) const = default;
};

// Qwen2.5-VL (Qwen2_5_VLConfig, qwen2_5_vl/configuration_qwen2_5_vl.py).
struct Qwen2_5_VLConfig {
  TextDecoderConfig text = qwen2_5_vl_text_defaults();  // language model
  Qwen2_5_VLVisionConfig vision;                        // windowed vision tower + patch merger
  int64_t image_token_id = 151655;                      // placeholder token of one merged image patch
  int64_t video_token_id = 151656;                      // placeholder token of one merged video patch
  int64_t vision_start_token_id = 151652;               // token before an image/video's placeholders
  int64_t vision_end_token_id = 151653;                 // token after them

  bool operator==(const Qwen2_5_VLConfig&) const = default;
};

// Idefics3 and SmolVLM (Idefics3Config, idefics3/configuration_idefics3.py; SmolVLMConfig,
// smolvlm/configuration_smolvlm.py, has the same keys and defaults).
struct Idefics3Config {
  TextDecoderConfig text = idefics3_text_defaults();         // Llama language model
  VisionTransformerConfig vision = idefics3_vision_defaults();  // SigLIP-like encoder
  int64_t image_token_id = 128257;                           // placeholder token of one image embedding
  int64_t scale_factor = 2;                                  // pixel shuffle: scale^2 patches become one token
  std::optional<int64_t> pad_token_id = 128002;              // top-level pad id (the text config has its own)

  bool operator==(const Idefics3Config&) const = default;
};

// LLaVA-1.5 (LlavaConfig, llava/configuration_llava.py).
struct LlavaConfig {
  TextDecoderConfig text;                                     // Llama language model (LlamaConfig defaults)
  VisionTransformerConfig vision = llava_vision_defaults();   // CLIP vision tower
  int64_t image_token_id = 32000;                             // `image_token_index` in config.json
  int64_t image_seq_length = 576;                             // image tokens per image
  std::string projector_hidden_act = "gelu";                  // activation between the projector's two linears
  std::string vision_feature_select_strategy = "default";     // "default" drops the CLS token, "full" keeps it
  std::vector<int64_t> vision_feature_layers = {-2};          // `vision_feature_layer`: one index or a list (features concatenated)
  bool multimodal_projector_bias = true;                      // the projector's linears have biases

  bool operator==(const LlavaConfig&) const = default;
};

// CLIP (CLIPConfig, clip/configuration_clip.py).
struct ClipConfig {
  ClipTextConfig text;                    // text encoder
  VisionTransformerConfig vision;         // image encoder (CLIPVisionConfig defaults)
  int64_t projection_dim = 512;           // shared embedding width (text_projection / visual_projection outputs)
  double logit_scale_init_value = 2.6592; // initial log of the logit scale

  bool operator==(const ClipConfig&) const = default;
};

// One checkpoint's config.json.
struct ModelConfig {
  std::string model_type = "qwen2_vl";  // as written in config.json ("smolvlm" stays "smolvlm")
  std::string dtype;                    // weights' dtype as saved ("float32", "bfloat16", ...; v4 `torch_dtype`); empty when absent
  std::variant<Qwen2VLConfig, Qwen2_5_VLConfig, Idefics3Config, LlavaConfig, ClipConfig> family_config;  // the family's own part

  ModelFamily family() const { return static_cast<ModelFamily>(family_config.index()); }

  // The family's part; throws vltune::Error when the config is of another family.
  const Qwen2VLConfig& qwen2_vl() const;
  const Qwen2_5_VLConfig& qwen2_5_vl() const;
  const Idefics3Config& idefics3() const;
  const LlavaConfig& llava() const;
  const ClipConfig& clip() const;

  // The causal language model of a VLM; nullptr for CLIP.
  const TextDecoderConfig* text_decoder() const;

  bool operator==(const ModelConfig&) const = default;
};

// Reads `config.json` (a file, or a checkpoint folder holding one). Throws FileError when it is
// not there, FormatError when it is not valid JSON, has an unsupported model_type (the message
// lists the supported ones), a key of the wrong type, or inconsistent sizes (e.g. hidden_size not
// divisible by num_attention_heads); messages name the file and the key.
ModelConfig read_model_config(const std::filesystem::path& config_json_or_folder);

// The same from parsed JSON; `label` names where it came from in error messages.
ModelConfig parse_model_config(const Json& config, const std::string& label);

// The typed config as JSON in the v5 layout (`text_config`, `vision_config`, `rope_parameters`;
// plus "family", and `eos_token_ids` / `vision_feature_layers` as lists), every field written, for
// logs and run records.
Json model_config_to_json(const ModelConfig& config);

}  // namespace vltune::io
