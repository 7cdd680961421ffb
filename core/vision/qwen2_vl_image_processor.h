#pragma once
// Qwen2-VL / Qwen2.5-VL image processor: transformers' Qwen2VLImageProcessor (the torchvision
// backend, = Qwen2VLImageProcessorFast), for still images:
//   smart_resize (sides multiples of patch_size * merge_size, area within [min_pixels, max_pixels])
//   -> bicubic antialiased resize on uint8 -> rescale + normalise (float32)
//   -> the image repeated to temporal_patch_size frames
//   -> patches flattened into rows of C * T * P * P values, grouped merge_size x merge_size:
//      [T, C, H, W] viewed as [t, T, C, h/m, m, P, w/m, m, P], permuted to
//      (t, h/m, w/m, m, m, C, T, P, P) and flattened to (t * h * w, C * T * P * P).
// The grid of an image is the one text::qwen_image_grid gives for its size, so the token count
// of a prompt and the pixel rows always agree.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include <ATen/core/Tensor.h>

#include "core/io/aux_configs.h"
#include "core/text/image_placeholders.h"
#include "core/vision/image_ops.h"

namespace vltune::vision {

// Preprocessing settings (Qwen2VLImageProcessor's defaults; preprocessor_config.json overrides).
struct Qwen2VLImageParams {
  bool do_resize = true;                // smart_resize to the pixel budget (off: sides must already divide)
  int64_t min_pixels = 56 * 56;         // smallest resized area, pixels (size.shortest_edge)
  int64_t max_pixels = 28 * 28 * 1280;  // largest resized area, pixels (size.longest_edge)
  NormalizeParams normalize;            // rescale to 0-1 and normalise with the checkpoint's mean/std
  int64_t patch_size = 14;              // patch side, pixels
  int64_t temporal_patch_size = 2;      // frames per patch: a still image is repeated to fill them
  int64_t merge_size = 2;               // patches merged per side into one language-model token
};

// The settings of a Qwen2-VL / Qwen2.5-VL preprocessor_config.json. Throws FormatError when the
// config is for another processor or asks for something this one does not do (a resample filter
// other than bicubic, non-positive patch sizes).
Qwen2VLImageParams qwen2_vl_image_params(const io::PreprocessorConfig& config);

// What the vision tower takes, for a batch of images.
struct Qwen2VLImageInputs {
  at::Tensor pixel_values;    // [sum over images of t*h*w, C*T*P*P] float32, images' rows in order
  at::Tensor image_grid_thw;  // [n_images, 3] int64: temporal, height and width patches per image
};

class Qwen2VLImageProcessor {
 public:
  explicit Qwen2VLImageProcessor(Qwen2VLImageParams params = {});
  explicit Qwen2VLImageProcessor(const io::PreprocessorConfig& config);

  const Qwen2VLImageParams& params() const { return m_params; }

  // The patch grid of an image of this size (no pixels touched). Throws FormatError naming
  // `label` for sizes the reference refuses (aspect ratio over 200, or sides that do not divide
  // into merged patches when do_resize is off).
  text::QwenGrid grid(text::ImageSize size, const std::string& label = "image") const;

  // One image: [C, H, W] uint8 RGB (C = the number of mean/std entries, 3 for the checkpoints).
  // Always finish(prepare(image)).
  Qwen2VLImageInputs process(const at::Tensor& image, const std::string& label = "image") const;
  // Its pixel work in two: the resize to the patch grid ([C, H, W] -> [C, h, w] uint8), then the
  // normalisation and patch rows (the grid read from the prepared size). normalize = false leaves
  // the patch rows uint8 (normalize_with_table finishes them, on a device).
  at::Tensor prepare(const at::Tensor& image, const std::string& label = "image") const;
  Qwen2VLImageInputs finish(const at::Tensor& prepared, const std::string& label = "image", bool normalize = true) const;
  // Several images, rows concatenated in order; images[i] is named "image i" in errors.
  Qwen2VLImageInputs process(std::span<const at::Tensor> images) const;
  // Image files, decoded with read_image_rgb (needs VLTUNE_WITH_IMAGE_IO); errors name the file.
  Qwen2VLImageInputs process_files(std::span<const std::filesystem::path> files) const;

 private:
  Qwen2VLImageParams m_params;
};

}  // namespace vltune::vision
