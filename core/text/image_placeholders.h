#pragma once
// How many tokens an image takes, and the text its `<image>` marker expands to, per family:
//   Qwen2-VL / 2.5-VL  <|vision_start|> + <|image_pad|> x (t*h*w / merge^2) + <|vision_end|>
//                      (Qwen2VLImageProcessor's smart_resize; Qwen2VLProcessor / LLaMA-Factory's
//                      Qwen2VLPlugin)
//   LLaVA-1.5          <image> x ((H/patch)*(W/patch) + num_additional_image_tokens - 1 for the
//                      "default" feature strategy) (LlavaProcessor / LLaMA-Factory's LlavaPlugin)
//   SmolVLM / Idefics3 the tiled layout of Idefics3Processor: per tile <fake_token_around_image>
//                      <row_i_col_j> + <image> x image_seq_len, "\n" after each row, then
//                      "\n<fake_token_around_image><global-img>" + <image> x image_seq_len +
//                      <fake_token_around_image>
// Only arithmetic on sizes: no pixels are touched here. Python's own rounding is reproduced
// (round() halves to even, int() truncates) so the counts equal transformers' for every size.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "core/io/aux_configs.h"
#include "core/io/hf_config.h"
#include "core/text/conversation.h"

namespace vltune::text {

// Which expansion a model needs (LLaMA-Factory's mm_plugin, plus Idefics3 which it lacks).
enum class ImagePlugin { none, qwen2_vl, llava, idefics3 };

// "none", "qwen2_vl", "llava", "idefics3".
std::string_view image_plugin_name(ImagePlugin plugin);

// --- Qwen2-VL ----------------------------------------------------------------------------------

// Qwen2VLImageProcessor's smart_resize (transformers image_processing_qwen2_vl.py): both sides
// multiples of `factor`, area within [min_pixels, max_pixels], aspect kept. Throws FormatError
// (naming `label`) when the aspect ratio exceeds 200.
ImageSize qwen_smart_resize(ImageSize image, int64_t factor, int64_t min_pixels, int64_t max_pixels,
                            const std::string& label = "image");

// image_grid_thw of one image: [1, H'/patch, W'/patch] (a still image fills one temporal patch).
struct QwenGrid {
  int64_t t = 1;  // temporal patches
  int64_t h = 0;  // patch rows
  int64_t w = 0;  // patch columns

  bool operator==(const QwenGrid&) const = default;
};
QwenGrid qwen_image_grid(ImageSize image, const io::PreprocessorConfig& preprocessor,
                         const std::string& label = "image");

// --- Idefics3 / SmolVLM ------------------------------------------------------------------------

// Tiles of one image: rows x cols crops plus a global view; 0 x 0 when it is not split.
struct Idefics3Tiles {
  int64_t rows = 0;  // tile rows
  int64_t cols = 0;  // tile columns

  int64_t count() const { return rows * cols + 1; }  // crops + the global image
  bool operator==(const Idefics3Tiles&) const = default;
};

// Idefics3ImageProcessor: longest side to size.longest_edge (even), then up to whole
// max_image_size tiles. Throws FormatError when the config lacks those keys.
Idefics3Tiles idefics3_tiles(ImageSize image, const io::PreprocessorConfig& preprocessor);

// Image tokens per tile: int((image_size // patch_size)^2 / scale_factor^2) (Idefics3Processor).
int64_t idefics3_image_seq_len(const io::Idefics3Config& config);

// --- LLaVA -------------------------------------------------------------------------------------

// Pixel size of an image after CLIPImageProcessor (resize to size, center crop to crop_size).
ImageSize clip_processed_size(ImageSize image, const io::PreprocessorConfig& preprocessor);

// LlavaProcessor's count for a processed image of `processed` size.
int64_t llava_image_tokens(ImageSize processed, int64_t patch_size,
                           int64_t num_additional_image_tokens,
                           std::string_view vision_feature_select_strategy);

// --- LLaMA-Factory's image pre-resize ------------------------------------------------------------

// LLaMA-Factory shrinks (or enlarges) images before the HF processor sees them.
struct LlamaFactoryImageParams {
  int64_t image_max_pixels = 768 * 768;  // larger images are scaled down to this area (`image_max_pixels`)
  int64_t image_min_pixels = 32 * 32;    // smaller images are scaled up to this area (`image_min_pixels`)
};

// The size MMPluginMixin._preprocess_image (and, for qwen2_vl, Qwen2VLPlugin's clamps: sides of
// at least 28, aspect at most 180:1 past 200:1) gives an image.
ImageSize llamafactory_image_size(ImageSize image, const LlamaFactoryImageParams& params,
                                  ImagePlugin plugin);

// --- one model's layout --------------------------------------------------------------------------

// Everything needed to expand an `<image>` marker for one model.
struct ImageLayout {
  ImagePlugin plugin = ImagePlugin::none;     // which expansion
  io::PreprocessorConfig preprocessor;        // Qwen: pixel budget and patching; Idefics3: resize and tiles; LLaVA: resize and crop
  int64_t image_seq_len = 0;                  // Idefics3: tokens per tile
  int64_t patch_size = 14;                    // LLaVA: vision patch side (processor_config.json, else vision_config)
  int64_t num_additional_image_tokens = 1;    // LLaVA: CLS token count (llava-hf's processor_config.json value)
  std::string vision_feature_select_strategy = "default";  // LLaVA: "default" drops the CLS token
  std::string image_token = "<image>";        // the repeated token ("<|image_pad|>" for Qwen)
  std::string vision_start = "<|vision_start|>";            // Qwen: before an image
  std::string vision_end = "<|vision_end|>";                // Qwen: after an image
  std::string fake_image_token = "<fake_token_around_image>";  // Idefics3: around tiles
  std::string global_image_token = "<global-img>";          // Idefics3: before the global view
};

// The layout for a model from its config, preprocessor config and, when the folder has one,
// processor_config.json (`processor`: image_seq_len, patch_size, num_additional_image_tokens,
// vision_feature_select_strategy; null when absent). CLIP gives plugin none.
ImageLayout image_layout_for(const io::ModelConfig& config, const io::PreprocessorConfig& preprocessor,
                             const io::Json& processor = nullptr);

// Reads config.json, preprocessor_config.json and (if present) processor_config.json from a model
// folder. Throws FileError / FormatError naming the file.
ImageLayout load_image_layout(const std::filesystem::path& model_folder);

// Tokens of `image_token` one image takes (the block's other tokens not counted).
int64_t image_token_count(const ImageLayout& layout, ImageSize image, const std::string& label = "image");

// The text one `<image>` marker becomes for an image of this size.
std::string image_prompt_text(const ImageLayout& layout, ImageSize image,
                              const std::string& label = "image");

// Replaces each `marker` in `text`, left to right, with image_prompt_text of images[next_image++].
// Throws FormatError naming `label` when there are more markers than images.
std::string expand_image_markers(std::string_view text, const ImageLayout& layout,
                                 std::span<const ImageSize> images, size_t& next_image,
                                 const std::string& label, std::string_view marker = kImageMarker);

// Throws FormatError naming `label` unless the messages hold exactly `n_images` markers.
void check_image_markers(std::span<const Message> messages, size_t n_images, const std::string& label,
                         std::string_view marker = kImageMarker);

}  // namespace vltune::text
