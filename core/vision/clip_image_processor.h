#pragma once
// The CLIP / LLaVA-1.5 image processor: transformers' CLIPImageProcessor (the torchvision backend,
// = CLIPImageProcessorFast):
//   [optional, LLaVA-1.5's own training: pad to a square with the mean colour, image centred]
//   -> resize: size.shortest_edge S: the short side to S, the long side int(S * long / short)
//      (get_resize_output_image_size(default_to_square=False)); size.height/width: exactly that
//      (bicubic antialiased on uint8, image_ops)
//   -> centre crop to crop_size (top = int((H - h) / 2), left likewise; zero-padded first when
//      the image is smaller, as torchvision's center_crop does)
//   -> rescale + normalise (float32).
// Output pixel_values [N, C, h, w], what CLIP's and LLaVA's vision towers take.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include <ATen/core/Tensor.h>

#include "core/io/aux_configs.h"
#include "core/text/conversation.h"
#include "core/vision/image_ops.h"

namespace vltune::vision {

// Preprocessing settings (CLIPImageProcessor's defaults; preprocessor_config.json overrides).
struct ClipImageParams {
  bool pad_to_square = false;   // LLaVA-1.5's expand2square: pad to max(H, W) square with int(mean * 255) before resizing (not in the HF processor)
  bool do_resize = true;        // resize as below
  int64_t shortest_edge = 224;  // > 0: the short side becomes this, aspect kept (size.shortest_edge)
  int64_t resize_height = 0;    // with shortest_edge 0: exact output height (size.height)
  int64_t resize_width = 0;     // with shortest_edge 0: exact output width (size.width)
  bool do_center_crop = true;   // crop the centre after resizing
  int64_t crop_height = 224;    // crop_size.height
  int64_t crop_width = 224;     // crop_size.width
  NormalizeParams normalize;    // rescale to 0-1 and normalise with the checkpoint's mean/std
};

// The settings of a CLIP / LLaVA preprocessor_config.json. Throws FormatError when it is for
// another processor or asks for what this one does not do (a resample other than bicubic, a size
// without shortest_edge or height + width).
ClipImageParams clip_image_params(const io::PreprocessorConfig& config);

class ClipImageProcessor {
 public:
  explicit ClipImageProcessor(ClipImageParams params = {});
  explicit ClipImageProcessor(const io::PreprocessorConfig& config);

  const ClipImageParams& params() const { return m_params; }

  // Size after padding to a square (if asked) and resizing, before the crop.
  text::ImageSize resized_size(text::ImageSize image) const;
  // Size of the output.
  text::ImageSize output_size(text::ImageSize image) const;

  // One image: [C, H, W] uint8 RGB -> [1, C, h, w] float32. Always finish(prepare(image)).
  at::Tensor process(const at::Tensor& image, const std::string& label = "image") const;
  // Its pixel work, split where the image is smallest: the padding, resize and crop ([C, H, W] ->
  // [C, h, w] uint8, output_size), then the normalisation (normalize = false: [1, C, h, w] uint8).
  at::Tensor prepare(const at::Tensor& image, const std::string& label = "image") const;
  at::Tensor finish(const at::Tensor& prepared, const std::string& label = "image", bool normalize = true) const;
  // Several images of the same output size -> [N, C, h, w]; images[i] is "image i" in errors.
  at::Tensor process(std::span<const at::Tensor> images) const;
  // Image files, decoded with read_image_rgb (needs VLTUNE_WITH_IMAGE_IO); errors name the file.
  at::Tensor process_files(std::span<const std::filesystem::path> files) const;

 private:
  ClipImageParams m_params;
};

// LLaVA-1.5's expand2square: image [C, H, W] uint8 centred on a max(H, W) square of `fill`
// (one value per channel), offset (long - short) / 2 (floor). A square image is returned as is.
at::Tensor pad_to_square(const at::Tensor& image, std::span<const uint8_t> fill);

}  // namespace vltune::vision
