#include "core/vision/qwen2_vl_image_processor.h"

#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/vision/processor_config.h"
#include "core/vision/image_io.h"

namespace vltune::vision {

namespace {

// frames: [F, C, H, W] float32 (H, W multiples of patch * merge) -> rows [t*h*w, C*T*P*P].
at::Tensor flatten_patches(at::Tensor frames, const Qwen2VLImageParams& p) {
  const int64_t T = p.temporal_patch_size, P = p.patch_size, m = p.merge_size;
  // Pad the frame count to a multiple of T with copies of the last frame (a still image: T copies).
  if (const int64_t rest = frames.size(0) % T; rest != 0)
    frames = at::cat({frames, frames.slice(0, -1).expand({T - rest, -1, -1, -1})}, 0);
  const int64_t C = frames.size(1);
  const int64_t grid_t = frames.size(0) / T, grid_h = frames.size(2) / P, grid_w = frames.size(3) / P;
  // [t*T, C, H, W] -> [t, T, C, h/m, m, P, w/m, m, P]
  const at::Tensor view = frames.contiguous().view({grid_t, T, C, grid_h / m, m, P, grid_w / m, m, P});
  // -> [t, h/m, w/m, m, m, C, T, P, P] -> [t*h*w, C*T*P*P]
  return view.permute({0, 3, 6, 4, 7, 2, 1, 5, 8}).reshape({grid_t * grid_h * grid_w, C * T * P * P});
}

}  // namespace

Qwen2VLImageParams qwen2_vl_image_params(const io::PreprocessorConfig& config) {
  check_bicubic_processor(config, io::ImageProcessorKind::qwen2_vl, "is not a Qwen2-VL image processor (Qwen2VLImageProcessor)",
                          "the Qwen2-VL processor resizes bicubic, resample 3");
  Qwen2VLImageParams p;
  p.do_resize = config.do_resize;
  p.min_pixels = config.min_pixels;
  p.max_pixels = config.max_pixels;
  p.normalize.do_rescale = config.do_rescale;
  p.normalize.rescale_factor = config.rescale_factor;
  p.normalize.do_normalize = config.do_normalize;
  p.normalize.image_mean = config.image_mean;
  p.normalize.image_std = config.image_std;
  p.patch_size = config.patch_size;
  p.temporal_patch_size = config.temporal_patch_size;
  p.merge_size = config.merge_size;
  return p;
}

Qwen2VLImageProcessor::Qwen2VLImageProcessor(Qwen2VLImageParams params) : m_params(std::move(params)) {
  for (auto [value, key] : {std::pair{m_params.patch_size, "patch_size"},
                            std::pair{m_params.temporal_patch_size, "temporal_patch_size"},
                            std::pair{m_params.merge_size, "merge_size"}})
    if (value <= 0) throw Error(std::string("Qwen2-VL image processor: ") + key + " should be positive, got " +
                                std::to_string(value));
}

Qwen2VLImageProcessor::Qwen2VLImageProcessor(const io::PreprocessorConfig& config)
    : Qwen2VLImageProcessor(qwen2_vl_image_params(config)) {}

text::QwenGrid Qwen2VLImageProcessor::grid(text::ImageSize size, const std::string& label) const {
  const int64_t unit = m_params.patch_size * m_params.merge_size;
  text::ImageSize resized = size;
  if (m_params.do_resize) {
    resized = text::qwen_smart_resize(size, unit, m_params.min_pixels, m_params.max_pixels, label);
  } else if (size.width < 1 || size.height < 1 || size.width % unit != 0 || size.height % unit != 0) {
    throw FormatError(label + ": image " + std::to_string(size.width) + "x" + std::to_string(size.height) +
                      " does not divide into " + std::to_string(unit) +
                      "-pixel merged patches (do_resize is off)");
  }
  return {1, resized.height / m_params.patch_size, resized.width / m_params.patch_size};
}

at::Tensor Qwen2VLImageProcessor::prepare(const at::Tensor& image, const std::string& label) const {
  if (image.scalar_type() != at::kByte || image.dim() != 3)
    throw Error(label + ": the Qwen2-VL image processor takes a uint8 [C, H, W] image, got " +
                std::string(c10::toString(image.scalar_type())) + " with " + std::to_string(image.dim()) +
                " dimensions");
  const text::QwenGrid g = grid({image.size(2), image.size(1)}, label);
  // image: [C, H, W] uint8 -> [C, h * patch, w * patch] uint8
  return resize_bicubic_antialias(image.cpu(), g.h * m_params.patch_size, g.w * m_params.patch_size).contiguous();
}

Qwen2VLImageInputs Qwen2VLImageProcessor::finish(const at::Tensor& prepared, const std::string& label, bool normalize) const {
  const int64_t p = m_params.patch_size, unit = p * m_params.merge_size;
  if (prepared.scalar_type() != at::kByte || prepared.dim() != 3 || prepared.size(1) % unit != 0 ||
      prepared.size(2) % unit != 0)
    throw Error(label + ": a prepared Qwen2-VL image is uint8 [C, H, W] in whole " + std::to_string(unit) +
                "-pixel merged patches, got " + std::string(c10::toString(prepared.scalar_type())) + " " +
                c10::str(prepared.sizes()));
  at::Tensor pixels = prepared;  // [C, H, W] float32 (uint8 without normalize)
  try {
    if (normalize) pixels = rescale_and_normalize(prepared, m_params.normalize);
  } catch (const Error& e) {
    throw Error(label + ": " + e.what());
  }
  Qwen2VLImageInputs out;
  out.pixel_values = flatten_patches(pixels.unsqueeze(0), m_params);  // one frame
  out.image_grid_thw = at::tensor(std::vector<int64_t>{1, prepared.size(1) / p, prepared.size(2) / p}, at::kLong).view({1, 3});
  return out;
}

Qwen2VLImageInputs Qwen2VLImageProcessor::process(const at::Tensor& image, const std::string& label) const {
  return finish(prepare(image, label), label);
}

Qwen2VLImageInputs Qwen2VLImageProcessor::process(std::span<const at::Tensor> images) const {
  std::vector<at::Tensor> rows, grids;
  rows.reserve(images.size());
  grids.reserve(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    Qwen2VLImageInputs one = process(images[i], "image " + std::to_string(i));
    rows.push_back(std::move(one.pixel_values));
    grids.push_back(std::move(one.image_grid_thw));
  }
  Qwen2VLImageInputs out;
  if (rows.empty()) {
    const int64_t channels = static_cast<int64_t>(m_params.normalize.image_mean.size());
    const int64_t cols = channels * m_params.temporal_patch_size * m_params.patch_size * m_params.patch_size;
    out.pixel_values = at::empty({0, cols}, at::kFloat);
    out.image_grid_thw = at::empty({0, 3}, at::kLong);
    return out;
  }
  out.pixel_values = at::cat(rows, 0);
  out.image_grid_thw = at::cat(grids, 0);
  return out;
}

Qwen2VLImageInputs Qwen2VLImageProcessor::process_files(std::span<const std::filesystem::path> files) const {
  std::vector<at::Tensor> rows, grids;
  for (const auto& file : files) {
    Qwen2VLImageInputs one = process(read_image_rgb(file), file.string());
    rows.push_back(std::move(one.pixel_values));
    grids.push_back(std::move(one.image_grid_thw));
  }
  if (rows.empty()) return process(std::span<const at::Tensor>{});
  return {at::cat(rows, 0), at::cat(grids, 0)};
}

}  // namespace vltune::vision
