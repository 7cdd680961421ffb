#include "core/text/image_placeholders.h"

#include <algorithm>
#include <cfenv>
#include <cmath>

#include "core/error.h"

namespace vltune::text {

namespace fs = std::filesystem;

namespace {

// Python's round(x) for a float: halves go to the even neighbour (std::round would go away from 0).
int64_t py_round(double x) {
  const int previous = std::fegetround();
  std::fesetround(FE_TONEAREST);
  const double r = std::nearbyint(x);
  std::fesetround(previous);
  return static_cast<int64_t>(r);
}

// Python's int(x) for a positive float: truncation.
int64_t py_int(double x) { return static_cast<int64_t>(x); }

int64_t py_ceil(double x) { return static_cast<int64_t>(std::ceil(x)); }
int64_t py_floor(double x) { return static_cast<int64_t>(std::floor(x)); }

std::string size_text(ImageSize s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

void require_positive(ImageSize image, const std::string& label) {
  if (image.width <= 0 || image.height <= 0)
    throw FormatError(label + ": image size " + size_text(image) + " is not positive");
}

int64_t size_key(const std::map<std::string, int64_t>& size, const char* key, const char* field,
                 const std::string& label) {
  auto it = size.find(key);
  if (it == size.end() || it->second <= 0)
    throw FormatError(label + ": preprocessor_config " + field + " needs a positive \"" + key + "\"");
  return it->second;
}

std::string repeat(const std::string& token, int64_t n) {
  std::string out;
  out.reserve(token.size() * static_cast<size_t>(std::max<int64_t>(n, 0)));
  for (int64_t i = 0; i < n; ++i) out += token;
  return out;
}

// Idefics3's resize to a longest side (image_processing_idefics3.py:
// _resize_output_size_rescale_to_max_len, then _resize_output_size_scale_below_upper_bound with
// MAX_IMAGE_SIZE = 4096).
ImageSize idefics3_resize_longest(ImageSize image, int64_t max_len) {
  int64_t height = image.height, width = image.width;
  double aspect = static_cast<double>(width) / static_cast<double>(height);
  if (width >= height) {
    width = max_len;
    height = py_int(static_cast<double>(width) / aspect);
    if (height % 2 != 0) height += 1;
  } else {
    height = max_len;
    width = py_int(static_cast<double>(height) * aspect);
    if (width % 2 != 0) width += 1;
  }
  height = std::max<int64_t>(height, 1);
  width = std::max<int64_t>(width, 1);

  constexpr int64_t kMaxImageSize = 4096;
  aspect = static_cast<double>(width) / static_cast<double>(height);
  if (width >= height && width > kMaxImageSize) {
    width = kMaxImageSize;
    height = py_int(static_cast<double>(width) / aspect);
  } else if (height > width && height > kMaxImageSize) {
    height = kMaxImageSize;
    width = py_int(static_cast<double>(height) * aspect);
  }
  return {std::max<int64_t>(width, 1), std::max<int64_t>(height, 1)};
}

// Idefics3ImageProcessor.resize_for_vision_encoder: both sides up to multiples of the tile size.
ImageSize idefics3_resize_for_encoder(ImageSize image, int64_t tile) {
  int64_t height = image.height, width = image.width;
  const double aspect = static_cast<double>(width) / static_cast<double>(height);
  const double t = static_cast<double>(tile);
  if (width >= height) {
    width = py_ceil(static_cast<double>(width) / t) * tile;
    height = py_int(static_cast<double>(width) / aspect);
    height = py_ceil(static_cast<double>(height) / t) * tile;
  } else {
    height = py_ceil(static_cast<double>(height) / t) * tile;
    width = py_int(static_cast<double>(height) * aspect);
    width = py_ceil(static_cast<double>(width) / t) * tile;
  }
  return {width, height};
}

}  // namespace

std::string_view image_plugin_name(ImagePlugin plugin) {
  switch (plugin) {
    case ImagePlugin::none: return "none";
    case ImagePlugin::qwen2_vl: return "qwen2_vl";
    case ImagePlugin::llava: return "llava";
    case ImagePlugin::idefics3: return "idefics3";
  }
  return "?";
}

// --- Qwen2-VL ----------------------------------------------------------------------------------

ImageSize qwen_smart_resize(ImageSize image, int64_t factor, int64_t min_pixels, int64_t max_pixels,
                            const std::string& label) {
  require_positive(image, label);
  const double h = static_cast<double>(image.height), w = static_cast<double>(image.width);
  const double f = static_cast<double>(factor);
  const double ratio = std::max(h, w) / std::min(h, w);
  if (ratio > 200)
    throw FormatError(label + ": image " + size_text(image) +
                      " has an aspect ratio over 200, which Qwen2-VL's processor refuses");
  int64_t h_bar = py_round(h / f) * factor;
  int64_t w_bar = py_round(w / f) * factor;
  if (h_bar * w_bar > max_pixels) {
    const double beta = std::sqrt((h * w) / static_cast<double>(max_pixels));
    // Newer transformers keep at least one factor per side here.
    h_bar = std::max(factor, py_floor(h / beta / f) * factor);
    w_bar = std::max(factor, py_floor(w / beta / f) * factor);
  } else if (h_bar * w_bar < min_pixels) {
    const double beta = std::sqrt(static_cast<double>(min_pixels) / (h * w));
    h_bar = py_ceil(h * beta / f) * factor;
    w_bar = py_ceil(w * beta / f) * factor;
  }
  return {w_bar, h_bar};
}

QwenGrid qwen_image_grid(ImageSize image, const io::PreprocessorConfig& pre, const std::string& label) {
  require_positive(image, label);
  ImageSize resized = image;
  if (pre.do_resize)
    resized = qwen_smart_resize(image, pre.patch_size * pre.merge_size, pre.min_pixels, pre.max_pixels,
                                label);
  const int64_t unit = pre.patch_size * pre.merge_size;
  if (resized.height % unit != 0 || resized.width % unit != 0)
    throw FormatError(label + ": image " + size_text(resized) + " does not divide into " +
                      std::to_string(unit) + "-pixel merged patches (do_resize is off)");
  return {1, resized.height / pre.patch_size, resized.width / pre.patch_size};
}

// --- Idefics3 ----------------------------------------------------------------------------------

Idefics3Tiles idefics3_tiles(ImageSize image, const io::PreprocessorConfig& pre) {
  const std::string label = "Idefics3 image " + size_text(image);
  require_positive(image, label);
  ImageSize resized = image;
  if (pre.do_resize) resized = idefics3_resize_longest(image, size_key(pre.size, "longest_edge", "size", label));
  if (!pre.do_image_splitting) return {0, 0};  // squared to one max_image_size view
  const int64_t tile = size_key(pre.max_image_size, "longest_edge", "max_image_size", label);
  resized = idefics3_resize_for_encoder(resized, tile);
  if (resized.height > tile || resized.width > tile)
    return {py_ceil(static_cast<double>(resized.height) / static_cast<double>(tile)),
            py_ceil(static_cast<double>(resized.width) / static_cast<double>(tile))};
  return {0, 0};
}

int64_t idefics3_image_seq_len(const io::Idefics3Config& config) {
  const int64_t side = config.vision.image_size / config.vision.patch_size;
  const double scale = static_cast<double>(config.scale_factor);
  return py_int(static_cast<double>(side * side) / (scale * scale));
}

// --- LLaVA -------------------------------------------------------------------------------------

ImageSize clip_processed_size(ImageSize image, const io::PreprocessorConfig& pre) {
  require_positive(image, "CLIP image");
  ImageSize out = image;
  if (pre.do_resize) {
    auto shortest = pre.size.find("shortest_edge");
    if (shortest != pre.size.end()) {
      // get_resize_output_image_size(default_to_square=False): short side to S, long side scaled.
      const int64_t s = shortest->second;
      const int64_t short_side = std::min(image.width, image.height);
      const int64_t long_side = std::max(image.width, image.height);
      const int64_t new_long =
          py_int(static_cast<double>(s) * static_cast<double>(long_side) / static_cast<double>(short_side));
      out = image.width <= image.height ? ImageSize{s, new_long} : ImageSize{new_long, s};
    } else if (pre.size.count("height") && pre.size.count("width")) {
      out = {pre.size.at("width"), pre.size.at("height")};
    }
  }
  if (pre.do_center_crop && pre.crop_size.count("height") && pre.crop_size.count("width"))
    out = {pre.crop_size.at("width"), pre.crop_size.at("height")};
  return out;
}

int64_t llava_image_tokens(ImageSize processed, int64_t patch_size, int64_t num_additional_image_tokens,
                           std::string_view strategy) {
  if (patch_size <= 0) throw FormatError("LLaVA patch_size should be positive, got " + std::to_string(patch_size));
  int64_t n = (processed.height / patch_size) * (processed.width / patch_size) + num_additional_image_tokens;
  if (strategy == "default") n -= 1;
  return n;
}

// --- LLaMA-Factory -------------------------------------------------------------------------------

ImageSize llamafactory_image_size(ImageSize image, const LlamaFactoryImageParams& params, ImagePlugin plugin) {
  require_positive(image, "image");
  int64_t width = image.width, height = image.height;
  // MMPluginMixin._preprocess_image: area caps, int() of the scaled sides.
  if (width * height > params.image_max_pixels) {
    const double f = std::sqrt(static_cast<double>(params.image_max_pixels) / static_cast<double>(width * height));
    width = py_int(static_cast<double>(width) * f);
    height = py_int(static_cast<double>(height) * f);
  }
  if (width * height < params.image_min_pixels) {
    const double f = std::sqrt(static_cast<double>(params.image_min_pixels) / static_cast<double>(width * height));
    width = py_int(static_cast<double>(width) * f);
    height = py_int(static_cast<double>(height) * f);
  }
  if (plugin == ImagePlugin::qwen2_vl) {  // Qwen2VLPlugin._preprocess_image
    if (std::min(width, height) < 28) {
      width = std::max<int64_t>(width, 28);
      height = std::max<int64_t>(height, 28);
    }
    if (static_cast<double>(width) / static_cast<double>(height) > 200) width = height * 180;
    if (static_cast<double>(height) / static_cast<double>(width) > 200) height = width * 180;
  }
  return {width, height};
}

// --- layouts -----------------------------------------------------------------------------------

ImageLayout image_layout_for(const io::ModelConfig& config, const io::PreprocessorConfig& pre,
                             const io::Json& processor) {
  const std::string where = "processor_config.json";
  ImageLayout layout;
  layout.preprocessor = pre;
  switch (config.family()) {
    case io::ModelFamily::qwen2_vl:
    case io::ModelFamily::qwen2_5_vl:
      layout.plugin = ImagePlugin::qwen2_vl;
      layout.image_token = "<|image_pad|>";
      break;
    case io::ModelFamily::idefics3:
      layout.plugin = ImagePlugin::idefics3;
      layout.image_seq_len = io::get_or<int64_t>(processor, "image_seq_len",
                                                 idefics3_image_seq_len(config.idefics3()), where);
      break;
    case io::ModelFamily::llava: {
      const auto& llava = config.llava();
      layout.plugin = ImagePlugin::llava;
      layout.patch_size = io::get_or<int64_t>(processor, "patch_size", llava.vision.patch_size, where);
      layout.num_additional_image_tokens =
          io::get_or<int64_t>(processor, "num_additional_image_tokens", 1, where);
      layout.vision_feature_select_strategy = io::get_or<std::string>(
          processor, "vision_feature_select_strategy", llava.vision_feature_select_strategy, where);
      layout.image_token = io::get_or<std::string>(processor, "image_token", "<image>", where);
      break;
    }
    case io::ModelFamily::clip:
      layout.plugin = ImagePlugin::none;
      break;
  }
  return layout;
}

ImageLayout load_image_layout(const fs::path& folder) {
  const io::ModelConfig config = io::read_model_config(folder);
  if (config.family() == io::ModelFamily::clip) return image_layout_for(config, {}, nullptr);
  const io::PreprocessorConfig pre = io::read_preprocessor_config(folder / "preprocessor_config.json");
  io::Json processor = nullptr;
  if (fs::exists(folder / "processor_config.json"))
    processor = io::read_json_file(folder / "processor_config.json");
  return image_layout_for(config, pre, processor);
}

int64_t image_token_count(const ImageLayout& layout, ImageSize image, const std::string& label) {
  switch (layout.plugin) {
    case ImagePlugin::qwen2_vl: {
      const QwenGrid g = qwen_image_grid(image, layout.preprocessor, label);
      const int64_t merge = layout.preprocessor.merge_size;
      return g.t * g.h * g.w / (merge * merge);
    }
    case ImagePlugin::llava:
      return llava_image_tokens(clip_processed_size(image, layout.preprocessor), layout.patch_size,
                                layout.num_additional_image_tokens, layout.vision_feature_select_strategy);
    case ImagePlugin::idefics3:
      return idefics3_tiles(image, layout.preprocessor).count() * layout.image_seq_len;
    case ImagePlugin::none: break;
  }
  throw FormatError(label + ": this model takes no images");
}

std::string image_prompt_text(const ImageLayout& layout, ImageSize image, const std::string& label) {
  switch (layout.plugin) {
    case ImagePlugin::qwen2_vl:
      return layout.vision_start + repeat(layout.image_token, image_token_count(layout, image, label)) +
             layout.vision_end;
    case ImagePlugin::llava:
      return repeat(layout.image_token, image_token_count(layout, image, label));
    case ImagePlugin::idefics3: {
      // Idefics3Processor's get_image_prompt_string.
      const Idefics3Tiles tiles = idefics3_tiles(image, layout.preprocessor);
      const std::string tokens = repeat(layout.image_token, layout.image_seq_len);
      std::string out;
      if (tiles.rows > 0 || tiles.cols > 0) {
        for (int64_t r = 0; r < tiles.rows; ++r) {
          for (int64_t c = 0; c < tiles.cols; ++c)
            out += layout.fake_image_token + "<row_" + std::to_string(r + 1) + "_col_" +
                   std::to_string(c + 1) + ">" + tokens;
          out += "\n";
        }
        out += "\n";
      }
      return out + layout.fake_image_token + layout.global_image_token + tokens + layout.fake_image_token;
    }
    case ImagePlugin::none: break;
  }
  throw FormatError(label + ": this model takes no images");
}

std::string expand_image_markers(std::string_view text, const ImageLayout& layout,
                                 std::span<const ImageSize> images, size_t& next_image,
                                 const std::string& label, std::string_view marker) {
  // One pass, so markers inside an expansion (LLaVA and Idefics3 repeat "<image>") stay put.
  std::string out;
  size_t from = 0;
  for (size_t at = text.find(marker); at != std::string_view::npos; at = text.find(marker, from)) {
    out.append(text.substr(from, at - from));
    if (next_image >= images.size())
      throw FormatError(label + ": more " + std::string(marker) + " markers than the " +
                        std::to_string(images.size()) + " image(s) given");
    out += image_prompt_text(layout, images[next_image],
                             label + ": image " + std::to_string(next_image));
    ++next_image;
    from = at + marker.size();
  }
  out.append(text.substr(from));
  return out;
}

void check_image_markers(std::span<const Message> messages, size_t n_images, const std::string& label,
                         std::string_view marker) {
  size_t n = 0;
  for (const auto& m : messages) n += count_markers(m.content, marker);
  if (n != n_images)
    throw FormatError(label + ": " + std::to_string(n) + " " + std::string(marker) +
                      " marker(s) in the messages but " + std::to_string(n_images) +
                      " image(s); each image needs exactly one marker where it stands");
}

}  // namespace vltune::text
