#pragma once
// One image as training feeds it to a model: decoded pixels -> LLaMA-Factory's pre-resize (the
// templates that do it: shrink to image_max_pixels, enlarge to image_min_pixels, Qwen's clamps;
// PIL's bicubic, which resize_bicubic_antialias reproduces) -> the family's image processor
// (Qwen2VLImageProcessor; CLIPImageProcessor for LLaVA and CLIP; Idefics3ImageProcessor).
// Stateless after construction: one object serves every worker thread.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/io/hf_config.h"
#include "core/text/chat_template.h"
#include "core/text/image_placeholders.h"
#include "core/vision/clip_image_processor.h"
#include "core/vision/idefics3_image_processor.h"
#include "core/vision/qwen2_vl_image_processor.h"

namespace vltune::data {

// What the family's processor made of one image.
struct ProcessedImage {
  text::ImageSize source;      // size as decoded (upright)
  text::ImageSize target;      // size given to the processor (after the pre-resize)
  at::Tensor pixel_values;     // float32 (uint8 from finish(.., normalize = false)). Qwen: [t*h*w, C*T*P*P]; LLaVA, CLIP: [1, C, H, W]; Idefics3: [tiles, C, H, W] (global view last)
  at::Tensor image_grid_thw;   // Qwen: [1, 3] int64; undefined for the others
  int64_t rows = 0;            // Idefics3: tile rows (0: not split)
  int64_t cols = 0;            // Idefics3: tile columns
};

class ImagePreprocessor {
 public:
  // `layout` is the model's (load_image_layout); `preprocessor` its preprocessor_config.json;
  // `pre_resize`: whether the training template pre-resizes as LLaMA-Factory does, and how.
  // Throws FormatError (naming preprocessor_config.json) when the family's processor refuses it.
  ImagePreprocessor(io::ModelFamily family, text::ImageLayout layout, const io::PreprocessorConfig& preprocessor,
                    bool pre_resize, text::LlamaFactoryImageParams resize_params);

  io::ModelFamily family() const { return m_family; }
  const text::ImageLayout& layout() const { return m_layout; }

  // The size the processor gets for an image of `source` size.
  text::ImageSize target_size(text::ImageSize source) const;

  // rgb: [3, H, W] uint8 (read_image_rgb's) -> the processed image. `label` names it in errors.
  // Always finish(prepare(rgb), source size).
  ProcessedImage process(const at::Tensor& rgb, const std::string& label) const;

  // process() in two, split where the pixels are uint8 at the model's resolution (what the image
  // cache keeps): every resize (the pre-resize, then the processor's: Qwen's patch grid, CLIP's
  // resize and crop, Idefics3's whole tiles and global view), then the rest (normalisation,
  // patches or tiles).
  // normalize = false leaves pixel_values uint8 in the same layout, for normalize_with_table with
  // pixel_table() where they are used (on the GPU: a quarter of the bytes to copy and pin).
  at::Tensor prepare(const at::Tensor& rgb, const std::string& label) const;  // [3, h, w] uint8
  ProcessedImage finish(const at::Tensor& prepared, text::ImageSize source, const std::string& label,
                        bool normalize = true) const;
  // The size prepare() gives an image of `source` size (no pixels touched).
  text::ImageSize prepared_size(text::ImageSize source) const;

  // Tokens of the image token the processed image stands for in input_ids (0 for CLIP).
  int64_t image_tokens(const ProcessedImage& image) const;

  // Every setting that changes prepare()'s output, as text: part of the cache key.
  const std::string& fingerprint() const { return m_fingerprint; }
  // What the normalisation makes of each RGB value: float32 [3, 256] (vision::normalize_table).
  // Throws Error naming preprocessor_config.json when its mean/std cannot normalise RGB.
  at::Tensor pixel_table() const;

 private:
  io::ModelFamily m_family;
  text::ImageLayout m_layout;
  bool m_pre_resize;
  text::LlamaFactoryImageParams m_resize;
  std::optional<vision::Qwen2VLImageProcessor> m_qwen;
  std::optional<vision::ClipImageProcessor> m_clip;
  std::optional<vision::Idefics3ImageProcessor> m_idefics3;
  std::string m_fingerprint;
  at::Tensor m_table;          // pixel_table(); undefined when the config's mean/std do not fit RGB
  std::string m_table_error;   // why not
};

}  // namespace vltune::data
