#include "core/vision/clip_image_processor.h"

#include <algorithm>
#include <vector>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/vision/processor_config.h"
#include "core/vision/image_io.h"

namespace vltune::vision {

namespace {

// The background of expand2square: tuple(int(x * 255) for x in image_mean).
std::vector<uint8_t> mean_colour(const NormalizeParams& p) {
  std::vector<uint8_t> out;
  for (double m : p.image_mean) out.push_back(static_cast<uint8_t>(std::clamp(static_cast<int64_t>(m * 255.0), int64_t{0}, int64_t{255})));
  return out;
}

// torchvision/transformers centre crop on [C, H, W]: zero padding where the crop is larger, then
// top = int((H - h) / 2), left = int((W - w) / 2).
at::Tensor center_crop(at::Tensor image, int64_t height, int64_t width) {
  int64_t h = image.size(1), w = image.size(2);
  if (width > w || height > h) {
    const int64_t left = width > w ? (width - w) / 2 : 0, top = height > h ? (height - h) / 2 : 0;
    const int64_t right = width > w ? (width - w + 1) / 2 : 0, bottom = height > h ? (height - h + 1) / 2 : 0;
    at::Tensor padded = at::zeros({image.size(0), h + top + bottom, w + left + right}, image.options());
    padded.narrow(1, top, h).narrow(2, left, w).copy_(image);
    image = padded;
    h = image.size(1);
    w = image.size(2);
    if (h == height && w == width) return image;
  }
  const int64_t top = (h - height) / 2, left = (w - width) / 2;
  return image.narrow(1, top, height).narrow(2, left, width);
}

}  // namespace

at::Tensor pad_to_square(const at::Tensor& image, std::span<const uint8_t> fill) {
  const int64_t c = image.size(0), h = image.size(1), w = image.size(2);
  if (h == w) return image;
  if (static_cast<int64_t>(fill.size()) != c)
    throw Error("pad to square: " + std::to_string(fill.size()) + " fill values for " + std::to_string(c) + " channels");
  const int64_t side = std::max(h, w);
  at::Tensor out = at::empty({c, side, side}, image.options());
  for (int64_t i = 0; i < c; ++i) out[i].fill_(static_cast<int64_t>(fill[static_cast<size_t>(i)]));
  const int64_t top = w > h ? (w - h) / 2 : 0, left = h > w ? (h - w) / 2 : 0;
  out.narrow(1, top, h).narrow(2, left, w).copy_(image);
  return out;
}

ClipImageParams clip_image_params(const io::PreprocessorConfig& config) {
  check_bicubic_processor(config, io::ImageProcessorKind::clip, "is not a CLIP image processor (CLIPImageProcessor)",
                          "the CLIP processor resizes bicubic, resample 3");
  const std::string label = "preprocessor_config.json";
  ClipImageParams p;
  p.do_resize = config.do_resize;
  if (auto s = config.size.find("shortest_edge"); s != config.size.end()) {
    p.shortest_edge = s->second;
  } else if (config.size.count("height") && config.size.count("width")) {
    p.shortest_edge = 0;
    p.resize_height = config.size.at("height");
    p.resize_width = config.size.at("width");
  } else if (config.do_resize) {
    throw FormatError(label + ": size needs shortest_edge, or height and width");
  }
  p.do_center_crop = config.do_center_crop;
  if (config.do_center_crop) {
    if (!config.crop_size.count("height") || !config.crop_size.count("width"))
      throw FormatError(label + ": crop_size needs height and width");
    p.crop_height = config.crop_size.at("height");
    p.crop_width = config.crop_size.at("width");
  }
  p.normalize.do_rescale = config.do_rescale;
  p.normalize.rescale_factor = config.rescale_factor;
  p.normalize.do_normalize = config.do_normalize;
  p.normalize.image_mean = config.image_mean;
  p.normalize.image_std = config.image_std;
  return p;
}

ClipImageProcessor::ClipImageProcessor(ClipImageParams params) : m_params(std::move(params)) {
  if (m_params.do_resize && m_params.shortest_edge <= 0 && (m_params.resize_height <= 0 || m_params.resize_width <= 0))
    throw Error("CLIP image processor: the resize needs shortest_edge or height and width above 0");
  if (m_params.do_center_crop && (m_params.crop_height <= 0 || m_params.crop_width <= 0))
    throw Error("CLIP image processor: crop_size should be positive");
}

ClipImageProcessor::ClipImageProcessor(const io::PreprocessorConfig& config) : ClipImageProcessor(clip_image_params(config)) {}

text::ImageSize ClipImageProcessor::resized_size(text::ImageSize image) const {
  if (m_params.pad_to_square) image.width = image.height = std::max(image.width, image.height);
  if (!m_params.do_resize) return image;
  if (m_params.shortest_edge <= 0) return {m_params.resize_width, m_params.resize_height};
  // get_resize_output_image_size(default_to_square=False): int() of the scaled long side.
  const int64_t s = m_params.shortest_edge;
  const int64_t short_side = std::min(image.width, image.height), long_side = std::max(image.width, image.height);
  const auto new_long = static_cast<int64_t>(static_cast<double>(s) * static_cast<double>(long_side) / static_cast<double>(short_side));
  return image.width <= image.height ? text::ImageSize{s, new_long} : text::ImageSize{new_long, s};
}

text::ImageSize ClipImageProcessor::output_size(text::ImageSize image) const {
  if (m_params.do_center_crop) return {m_params.crop_width, m_params.crop_height};
  return resized_size(image);
}

at::Tensor ClipImageProcessor::prepare(const at::Tensor& image, const std::string& label) const {
  if (image.scalar_type() != at::kByte || image.dim() != 3 || image.size(1) < 1 || image.size(2) < 1)
    throw Error(label + ": the CLIP image processor takes a uint8 [C, H, W] image, got " +
                std::string(c10::toString(image.scalar_type())) + " " + c10::str(image.sizes()));
  at::Tensor x = image.cpu();  // [C, H, W] uint8
  if (m_params.pad_to_square) {
    const auto fill = mean_colour(m_params.normalize);
    x = pad_to_square(x, fill);
  }
  if (m_params.do_resize) {
    const text::ImageSize size = resized_size({image.size(2), image.size(1)});
    x = resize_bicubic_antialias(x, size.height, size.width);
  }
  if (m_params.do_center_crop) x = center_crop(x, m_params.crop_height, m_params.crop_width);
  return x.contiguous();
}

at::Tensor ClipImageProcessor::finish(const at::Tensor& prepared, const std::string& label, bool normalize) const {
  if (!normalize) return prepared.contiguous().unsqueeze(0);  // [1, C, h, w] uint8
  try {
    return rescale_and_normalize(prepared.contiguous(), m_params.normalize).unsqueeze(0);  // [1, C, h, w]
  } catch (const Error& e) {
    throw Error(label + ": " + e.what());
  }
}

at::Tensor ClipImageProcessor::process(const at::Tensor& image, const std::string& label) const {
  return finish(prepare(image, label), label);
}

at::Tensor ClipImageProcessor::process(std::span<const at::Tensor> images) const {
  std::vector<at::Tensor> out;
  for (size_t i = 0; i < images.size(); ++i) out.push_back(process(images[i], "image " + std::to_string(i)));
  if (out.empty()) {
    const auto channels = static_cast<int64_t>(m_params.normalize.image_mean.size());
    const text::ImageSize size = output_size({m_params.crop_width, m_params.crop_height});
    return at::empty({0, channels, size.height, size.width}, at::kFloat);
  }
  for (size_t i = 1; i < out.size(); ++i)
    if (out[i].sizes() != out[0].sizes())
      throw Error("image " + std::to_string(i) + " comes out " + c10::str(out[i].sizes()) + ", image 0 " +
                  c10::str(out[0].sizes()) + " (without a centre crop, images of one batch need the same size)");
  return at::cat(out, 0);
}

at::Tensor ClipImageProcessor::process_files(std::span<const std::filesystem::path> files) const {
  std::vector<at::Tensor> images;
  for (const auto& file : files) images.push_back(read_image_rgb(file));
  std::vector<at::Tensor> out;
  for (size_t i = 0; i < images.size(); ++i) out.push_back(process(images[i], files[i].string()));
  if (out.empty()) return process(std::span<const at::Tensor>{});
  try {
    return at::cat(out, 0);
  } catch (const std::exception&) {
    throw Error("the images come out in different sizes (without a centre crop, images of one batch need the same size)");
  }
}

}  // namespace vltune::vision
