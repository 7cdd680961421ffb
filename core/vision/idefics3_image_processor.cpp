#include "core/vision/idefics3_image_processor.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "core/error.h"
#include "core/vision/processor_config.h"
#include "core/vision/image_io.h"

namespace vltune::vision {

namespace {

// _resize_output_size_rescale_to_max_len then _resize_output_size_scale_below_upper_bound
// (idefics3/image_processing_idefics3.py), in Python's float arithmetic.
text::ImageSize longest_edge_size(int64_t height, int64_t width, int64_t max_len) {
  constexpr int64_t kMaxImageSize = 4096;
  double aspect = static_cast<double>(width) / static_cast<double>(height);
  if (width >= height) {
    width = max_len;
    height = static_cast<int64_t>(static_cast<double>(width) / aspect);
    if (height % 2 != 0) ++height;
  } else {
    height = max_len;
    width = static_cast<int64_t>(static_cast<double>(height) * aspect);
    if (width % 2 != 0) ++width;
  }
  height = std::max<int64_t>(height, 1);
  width = std::max<int64_t>(width, 1);
  aspect = static_cast<double>(width) / static_cast<double>(height);
  if (width >= height && width > kMaxImageSize) {
    width = kMaxImageSize;
    height = static_cast<int64_t>(static_cast<double>(width) / aspect);
  } else if (height > width && height > kMaxImageSize) {
    height = kMaxImageSize;
    width = static_cast<int64_t>(static_cast<double>(height) * aspect);
  }
  return {std::max<int64_t>(width, 1), std::max<int64_t>(height, 1)};
}

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

}  // namespace

Idefics3ImageParams idefics3_image_params(const io::PreprocessorConfig& config) {
  check_bicubic_processor(config, io::ImageProcessorKind::idefics3, "is not an Idefics3 / SmolVLM image processor",
                          "Idefics3 resizes LANCZOS, done as bicubic like the reference, or bicubic");
  const std::string label = "preprocessor_config.json";
  Idefics3ImageParams p;
  p.do_resize = config.do_resize;
  if (auto s = config.size.find("longest_edge"); s != config.size.end())
    p.longest_edge = s->second;
  else if (config.do_resize)
    throw FormatError(label + ": size needs longest_edge");
  auto m = config.max_image_size.find("longest_edge");
  if (m == config.max_image_size.end() || m->second <= 0) throw FormatError(label + ": max_image_size needs a positive longest_edge");
  p.max_image_size = m->second;
  p.do_image_splitting = config.do_image_splitting;
  p.do_pad = config.do_pad;
  p.normalize.do_rescale = config.do_rescale;
  p.normalize.rescale_factor = config.rescale_factor;
  p.normalize.do_normalize = config.do_normalize;
  p.normalize.image_mean = config.image_mean;
  p.normalize.image_std = config.image_std;
  return p;
}

Idefics3ImageProcessor::Idefics3ImageProcessor(Idefics3ImageParams params) : m_params(std::move(params)) {
  if (m_params.max_image_size <= 0) throw Error("Idefics3 image processor: max_image_size must be positive");
  if (m_params.do_resize && m_params.longest_edge <= 0) throw Error("Idefics3 image processor: longest_edge must be positive");
}

Idefics3ImageProcessor::Idefics3ImageProcessor(const io::PreprocessorConfig& config)
    : Idefics3ImageProcessor(idefics3_image_params(config)) {}

text::ImageSize Idefics3ImageProcessor::resized_size(text::ImageSize image) const {
  if (!m_params.do_resize) return image;
  return longest_edge_size(image.height, image.width, m_params.longest_edge);
}

text::ImageSize Idefics3ImageProcessor::tiled_size(text::ImageSize image) const {
  const int64_t m = m_params.max_image_size;
  if (!m_params.do_image_splitting) return {m, m};
  // resize_for_vision_encoder
  int64_t width = image.width, height = image.height;
  const double aspect = static_cast<double>(width) / static_cast<double>(height);
  if (width >= height) {
    width = round_up(width, m);
    height = round_up(static_cast<int64_t>(static_cast<double>(width) / aspect), m);
  } else {
    height = round_up(height, m);
    width = round_up(static_cast<int64_t>(static_cast<double>(height) * aspect), m);
  }
  return {width, height};
}

bool Idefics3ImageProcessor::splits(text::ImageSize tiled) const {
  const int64_t m = m_params.max_image_size;
  return m_params.do_image_splitting && (tiled.height > m || tiled.width > m);
}

text::ImageSize Idefics3ImageProcessor::prepared_size(text::ImageSize image) const {
  const text::ImageSize tiled = tiled_size(resized_size(image));
  return splits(tiled) ? text::ImageSize{tiled.width, tiled.height + m_params.max_image_size} : tiled;
}

at::Tensor Idefics3ImageProcessor::prepare(const at::Tensor& image, const std::string& label) const {
  if (image.dim() != 3 || image.scalar_type() != at::kByte)
    throw Error(label + ": expected a [C, H, W] uint8 image, got " + c10::str(image.sizes()) + " " +
                std::string(c10::toString(image.scalar_type())));
  const auto resized = resized_size({image.size(2), image.size(1)});
  const at::Tensor img = resize_bicubic_antialias(image, resized.height, resized.width);
  const auto tiled = tiled_size(resized);
  const at::Tensor whole = resize_bicubic_antialias(img, tiled.height, tiled.width);
  if (!splits(tiled)) return whole.contiguous();
  const int64_t m = m_params.max_image_size;
  at::Tensor out = at::zeros({whole.size(0), tiled.height + m, tiled.width}, whole.options());  // [C, h + m, w]
  out.narrow(1, 0, tiled.height).copy_(whole);
  out.narrow(1, tiled.height, m).narrow(2, 0, m).copy_(resize_bicubic_antialias(whole, m, m));  // the global image, from the tiled one
  return out;
}

at::Tensor Idefics3ImageProcessor::finish(const at::Tensor& prepared, int64_t& rows, int64_t& cols, const std::string& label,
                                         bool normalize) const {
  if (prepared.dim() != 3 || prepared.scalar_type() != at::kByte)
    throw Error(label + ": expected a prepared [C, H, W] uint8 image, got " + c10::str(prepared.sizes()) + " " +
                std::string(c10::toString(prepared.scalar_type())));
  const int64_t m = m_params.max_image_size;
  const bool whole_tiles = m_params.do_image_splitting ? prepared.size(1) % m == 0 && prepared.size(2) % m == 0
                                                       : prepared.size(1) == m && prepared.size(2) == m;
  if (!whole_tiles)
    throw Error(label + ": a prepared image is whole " + std::to_string(m) + "-pixel tiles, got " + c10::str(prepared.sizes()));
  at::Tensor tiles;
  rows = cols = 0;
  // Split, the prepared image carries its global view in a last band of rows; only an image of one
  // tile is not split, so the shape says which it is.
  const bool split = m_params.do_image_splitting && !(prepared.size(1) == m && prepared.size(2) == m);
  if (split) {
    if (prepared.size(1) < 2 * m)
      throw Error(label + ": a prepared split image has a band for its global view below its tiles, got " +
                  c10::str(prepared.sizes()));
    const at::Tensor img = prepared.narrow(1, 0, prepared.size(1) - m);  // the tiled image
    rows = img.size(1) / m;
    cols = img.size(2) / m;
    std::vector<at::Tensor> pieces;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) pieces.push_back(img.narrow(1, r * m, m).narrow(2, c * m, m));
    pieces.push_back(prepared.narrow(1, img.size(1), m).narrow(2, 0, m));  // the global view
    tiles = torch::stack(pieces, 0);
  } else {
    tiles = prepared.unsqueeze(0);
  }
  return normalize ? rescale_and_normalize(tiles.contiguous(), m_params.normalize) : tiles.contiguous();
}

at::Tensor Idefics3ImageProcessor::process_one(const at::Tensor& image, int64_t& rows, int64_t& cols, const std::string& label) const {
  return finish(prepare(image, label), rows, cols, label);
}

Idefics3ImageOutput Idefics3ImageProcessor::process(std::span<const at::Tensor> images) const {
  Idefics3ImageOutput out;
  std::vector<at::Tensor> lists;
  int64_t max_n = 0, max_h = 0, max_w = 0, channels = 3;
  for (size_t i = 0; i < images.size(); ++i) {
    int64_t rows = 0, cols = 0;
    lists.push_back(process_one(images[i], rows, cols, "image " + std::to_string(i)));
    out.rows.push_back(rows);
    out.cols.push_back(cols);
    const auto& t = lists.back();
    channels = t.size(1);
    max_n = std::max(max_n, t.size(0));
    max_h = std::max(max_h, t.size(2));
    max_w = std::max(max_w, t.size(3));
  }
  const auto b = static_cast<int64_t>(lists.size());
  if (!m_params.do_pad)
    for (const auto& t : lists)
      if (t.size(0) != max_n || t.size(2) != max_h || t.size(3) != max_w)
        throw Error("Idefics3 image processor: without do_pad the images of one batch must give the same tiles");
  out.pixel_values = torch::zeros({b, max_n, channels, max_h, max_w}, torch::kFloat);
  out.pixel_attention_mask = torch::zeros({b, max_n, max_h, max_w}, torch::kLong);
  for (int64_t i = 0; i < b; ++i) {
    const auto& t = lists[static_cast<size_t>(i)];
    out.pixel_values[i].narrow(0, 0, t.size(0)).narrow(2, 0, t.size(2)).narrow(3, 0, t.size(3)).copy_(t);
    out.pixel_attention_mask[i].narrow(0, 0, t.size(0)).narrow(1, 0, t.size(2)).narrow(2, 0, t.size(3)).fill_(1);
  }
  return out;
}

Idefics3ImageOutput Idefics3ImageProcessor::process_files(std::span<const std::filesystem::path> files) const {
  std::vector<at::Tensor> images;
  for (const auto& file : files) images.push_back(read_image_rgb(file));
  try {
    return process(images);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + (files.size() == 1 ? " (" + files[0].string() + ")" : std::string()));
  }
}

}  // namespace vltune::vision
