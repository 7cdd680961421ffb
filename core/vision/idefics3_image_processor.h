#pragma once
// The Idefics3 / SmolVLM image processor: transformers' Idefics3ImageProcessor with the
// torchvision backend (= Idefics3ImageProcessorFast), on uint8 images, each resize rounded to
// uint8 as torchvision's is:
//   -> resize so the longest edge is size.longest_edge (aspect kept, the other side int() and made
//      even; never above 4096)
//   -> with do_image_splitting: resize up to multiples of max_image_size (the long side rounded up,
//      the short side int(long / aspect) rounded up); when that is larger than one tile, split into
//      rows x cols tiles of max_image_size (row-major) and append the global image (the resized
//      image squashed to one tile); otherwise one image, rows = cols = 0.
//      Without splitting: the image squashed to max_image_size x max_image_size.
//   -> rescale + normalise (float32)
//   -> pad every sample's tile list to the longest of the batch with all-zero images (and every
//      tile to the largest height and width, bottom/right), pixel_attention_mask 1 on real pixels.
// LANCZOS (resample 1, the checkpoints' setting) is done as bicubic antialiased, as the reference's
// torchvision backend falls back to.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/io/aux_configs.h"
#include "core/text/conversation.h"
#include "core/vision/image_ops.h"

namespace vltune::vision {

// Preprocessing settings (Idefics3ImageProcessor's defaults; preprocessor_config.json overrides).
struct Idefics3ImageParams {
  bool do_resize = true;           // resize the longest edge to longest_edge first
  int64_t longest_edge = 4 * 364;  // size.longest_edge
  bool do_image_splitting = true;  // tiles + global image
  int64_t max_image_size = 364;    // max_image_size.longest_edge: tile side
  bool do_pad = true;              // pad tile lists (and tiles) to the batch's largest
  NormalizeParams normalize{true, 1.0 / 255.0, true, {0.5, 0.5, 0.5}, {0.5, 0.5, 0.5}};
};

// The settings of an Idefics3 / SmolVLM preprocessor_config.json. Throws FormatError when it is
// for another processor or lacks size.longest_edge / max_image_size.longest_edge.
Idefics3ImageParams idefics3_image_params(const io::PreprocessorConfig& config);

// What the processor returns for a batch.
struct Idefics3ImageOutput {
  at::Tensor pixel_values;          // [B, N, C, H, W] float32 (N: the longest tile list)
  at::Tensor pixel_attention_mask;  // [B, N, H, W] int64: 1 on real pixels
  std::vector<int64_t> rows;        // per image: tile rows (0: not split)
  std::vector<int64_t> cols;        // per image: tile columns (0: not split)
};

class Idefics3ImageProcessor {
 public:
  explicit Idefics3ImageProcessor(Idefics3ImageParams params = {});
  explicit Idefics3ImageProcessor(const io::PreprocessorConfig& config);

  const Idefics3ImageParams& params() const { return m_params; }

  // Size after the longest-edge resize.
  text::ImageSize resized_size(text::ImageSize image) const;
  // Size after the resize to whole tiles (with splitting; without: one tile).
  text::ImageSize tiled_size(text::ImageSize image) const;
  // Size of prepare()'s output for an image of this size (no pixels touched): the tiled size, and
  // when the image is split, one more tile's height below it for the global view.
  text::ImageSize prepared_size(text::ImageSize image) const;

  // One image [C, H, W] uint8 RGB -> its tiles [n, C, h, w] float32 (global image last), rows, cols.
  // Always finish(prepare(image)).
  at::Tensor process_one(const at::Tensor& image, int64_t& rows, int64_t& cols, const std::string& label = "image") const;
  // Its pixel work in two: every resize, then the rest. prepare: [C, H, W] -> [C, h, w] uint8
  // (prepared_size): the image resized to whole tiles, and when it is split, its global view (the
  // tiled image resized to one tile, the costliest resize of a cache hit otherwise) in an extra
  // band of rows below, left-aligned, zero beside it. finish: the split, tiles and global view in
  // order, and the normalisation (normalize = false: the tiles uint8).
  at::Tensor prepare(const at::Tensor& image, const std::string& label = "image") const;
  at::Tensor finish(const at::Tensor& prepared, int64_t& rows, int64_t& cols, const std::string& label = "image",
                    bool normalize = true) const;

  // One image per sample, padded into a batch.
  Idefics3ImageOutput process(std::span<const at::Tensor> images) const;
  // Image files, decoded with read_image_rgb (needs VLTUNE_WITH_IMAGE_IO); errors name the file.
  Idefics3ImageOutput process_files(std::span<const std::filesystem::path> files) const;

 private:
  bool splits(text::ImageSize tiled) const;  // whether an image of this tiled size is split into tiles
  Idefics3ImageParams m_params;
};

}  // namespace vltune::vision
