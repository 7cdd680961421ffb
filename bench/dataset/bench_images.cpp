// vltune-bench-images: what one training image costs the loader's workers, by stage, for photos of
// the sizes users bring: reading the file, decoding it, the family's preprocessing (LLaMA-Factory's
// pre-resize and the HF processor), and, where the image cache keeps the image, its miss (decode,
// prepare, store, finish) and hit (load, finish). Training keeps pixels uint8 until the device
// (EncoderParams::raw_pixels): the *_raw_ms figures are what its workers spend, the others what a
// worker that normalises (chat, predict) does.
// The images are generated (smooth colour fields with grain, so the JPEGs have a camera's size),
// the processors configured as the real checkpoints' preprocessor_config.json are.
// Prints one JSON object: per family and size, the median milliseconds of each stage.
//   vltune-bench-images --config-dir ../shared/bench/configs [--sizes 640x480,1920x1080,4032x3024]
//                       [--models qwen2_vl_2b,smolvlm_256m] [--no-cache] [--repeats N] [--dir DIR] [--keep]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#if VLTUNE_WITH_IMAGE_IO
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

#include "core/data/image_cache.h"
#include "core/data/image_preprocessor.h"
#include "core/error.h"
#include "core/io/aux_configs.h"
#include "core/io/hf_config.h"
#include "core/io/png_writer.h"
#include "core/text/chat_template.h"
#include "core/text/image_placeholders.h"
#include "core/vision/image_io.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace vltune;

namespace {

// The processors of the checkpoints the benchmark's models stand for (their preprocessor_config.json).
const char* kQwen2VlPreprocessor = R"({
  "image_processor_type": "Qwen2VLImageProcessor", "do_convert_rgb": true, "do_normalize": true,
  "do_rescale": true, "do_resize": true, "image_mean": [0.48145466, 0.4578275, 0.40821073],
  "image_std": [0.26862954, 0.26130258, 0.27577711], "merge_size": 2, "patch_size": 14, "resample": 3,
  "rescale_factor": 0.00392156862745098, "min_pixels": 3136, "max_pixels": 12845056, "temporal_patch_size": 2})";
const char* kSmolVlmPreprocessor = R"({
  "image_processor_type": "Idefics3ImageProcessor", "do_convert_rgb": true, "do_image_splitting": true,
  "do_normalize": true, "do_pad": true, "do_rescale": true, "do_resize": true, "image_mean": [0.5, 0.5, 0.5],
  "image_std": [0.5, 0.5, 0.5], "max_image_size": {"longest_edge": 512}, "resample": 1,
  "rescale_factor": 0.00392156862745098, "size": {"longest_edge": 2048}})";

struct Family {
  std::string name;          // the benchmark config's name
  const char* preprocessor;  // its preprocessor_config.json
};

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Median milliseconds of `repeats` calls of f.
double median_ms(int repeats, const std::function<void()>& f) {
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto t = std::chrono::steady_clock::now();
    f();
    times.push_back(ms_since(t));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// A photo-like picture: smooth colour fields with per-pixel grain, so it compresses as a camera's does.
std::vector<uint8_t> photo_pixels(int width, int height) {
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3);
  uint32_t noise = 12345;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const double u = static_cast<double>(x) / width, v = static_cast<double>(y) / height;
      const double base[3] = {128 + 100 * std::sin(6 * u + 2 * v), 128 + 90 * std::cos(4 * v - 3 * u),
                              128 + 80 * std::sin(9 * u * v + 1)};
      for (int c = 0; c < 3; ++c) {
        noise = noise * 1664525u + 1013904223u;
        const double grain = static_cast<double>((noise >> 24) & 31) - 16;
        rgb[(static_cast<size_t>(y) * width + x) * 3 + c] = static_cast<uint8_t>(std::clamp(base[c] + grain, 0.0, 255.0));
      }
    }
  return rgb;
}

// The picture as a JPEG (quality 92, as phones write) where OpenCV can encode, else a PNG.
fs::path write_photo(const fs::path& dir, int width, int height) {
  const std::vector<uint8_t> rgb = photo_pixels(width, height);
  const std::string stem = std::to_string(width) + "x" + std::to_string(height);
#if VLTUNE_WITH_IMAGE_IO
  cv::Mat mat(height, width, CV_8UC3, const_cast<uint8_t*>(rgb.data()));
  cv::Mat bgr;
  cv::cvtColor(mat, bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> bytes;
  cv::imencode(".jpg", bgr, bytes, {cv::IMWRITE_JPEG_QUALITY, 92});
  const fs::path path = dir / (stem + ".jpg");
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
#else
  const fs::path path = dir / (stem + ".png");
  io::write_png_rgb(path, width, height, rgb);
#endif
  return path;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::pair<int, int>> sizes = {{640, 480}, {1920, 1080}, {4032, 3024}};
  int repeats = 5;
  fs::path dir;
  bool keep = false;
  bool cache_rows = true;
  std::string models = "qwen2_vl_2b,smolvlm_256m";
  fs::path configs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      std::string list = argv[++i];
      for (size_t at = 0; at < list.size();) {
        const size_t comma = std::min(list.find(',', at), list.size());
        const std::string item = list.substr(at, comma - at);
        const size_t x = item.find('x');
        if (x == std::string::npos) {
          std::fprintf(stderr, "--sizes: \"%s\" is not WxH\n", item.c_str());
          return 2;
        }
        sizes.emplace_back(std::stoi(item.substr(0, x)), std::stoi(item.substr(x + 1)));
        at = comma + 1;
      }
    } else if (a == "--config-dir" && i + 1 < argc) {
      configs = argv[++i];
    } else if (a == "--repeats" && i + 1 < argc) {
      repeats = std::max(1, std::stoi(argv[++i]));
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--models" && i + 1 < argc) {
      models = argv[++i];
    } else if (a == "--no-cache") {
      cache_rows = false;
    } else if (a == "--keep") {
      keep = true;
    } else {
      configs.clear();
      break;
    }
  }
  if (configs.empty()) {
    std::fprintf(stderr, "usage: vltune-bench-images --config-dir DIR [--sizes WxH,...] [--repeats N] [--dir DIR] [--keep]\n");
    return 2;
  }
  if (!vision::image_io_available()) {
    std::fprintf(stderr, "vltune-bench-images: this build decodes no image files\n");
    return 2;
  }
  if (dir.empty()) dir = fs::temp_directory_path() / ("vltune-bench-images-" + std::to_string(::getpid()));
  try {
    fs::create_directories(dir);
    json out = {{"repeats", repeats}, {"results", json::array()}};
    std::vector<fs::path> photos;
    for (auto [w, h] : sizes) photos.push_back(write_photo(dir, w, h));
    for (const Family& f : {Family{"qwen2_vl_2b", kQwen2VlPreprocessor}, Family{"smolvlm_256m", kSmolVlmPreprocessor}}) {
      if (("," + models + ",").find("," + f.name + ",") == std::string::npos) continue;
      const io::ModelConfig config = io::read_model_config(configs / (f.name + ".config.json"));
      const io::PreprocessorConfig pre = io::parse_preprocessor_config(json::parse(f.preprocessor), f.name + " preprocessor");
      const text::ImageLayout layout = text::image_layout_for(config, pre);
      const text::ConversationTemplate& tmpl = text::get_template(text::default_template_for_model_type(config.model_type));
      const data::ImagePreprocessor images(config.family(), layout, pre, tmpl.llamafactory_image_resize, {});
      for (const fs::path& photo : photos) {
        const std::string bytes = read_bytes(photo);
        const std::span<const uint8_t> span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
        json row = {{"family", f.name}, {"image", photo.filename().string()}, {"file_bytes", bytes.size()}};
        row["read_ms"] = median_ms(repeats, [&] { (void)read_bytes(photo); });
        at::Tensor rgb;
        row["decode_ms"] = median_ms(repeats, [&] { rgb = vision::decode_image_rgb(span, photo.string()); });
        data::ProcessedImage processed;
        row["preprocess_ms"] = median_ms(repeats, [&] { processed = images.process(rgb, photo.string()); });
        row["target"] = std::to_string(processed.target.width) + "x" + std::to_string(processed.target.height);
        row["processed_bytes"] = processed.pixel_values.numel() * processed.pixel_values.element_size();
        data::ProcessedImage raw;
        row["preprocess_raw_ms"] = median_ms(repeats, [&] {
          raw = images.finish(images.prepare(rgb, photo.string()), processed.source, photo.string(), /*normalize=*/false);
        });
        row["raw_bytes"] = raw.pixel_values.numel() * raw.pixel_values.element_size();
        row["uncached_ms"] = median_ms(repeats, [&] { (void)images.process(vision::decode_image_rgb(span, photo.string()), photo.string()); });
        if (!cache_rows) {
          out["results"].push_back(row);
          continue;
        }
        // The cache, as SampleEncoder::load_image uses it: a miss stats the file, decodes, prepares,
        // stores (when worth keeping) and finishes; a hit stats the file, loads and finishes.
        const text::ImageSize prepared = images.prepared_size(processed.source);
        row["prepared"] = std::to_string(prepared.width) + "x" + std::to_string(prepared.height);
        row["cached"] = data::ImageCache::worth_keeping(processed.source, prepared);
        if (row["cached"]) {
          const fs::path cache_dir = dir / "cache" / f.name;
          auto cache = std::make_unique<data::ImageCache>(cache_dir);
          row["cache_miss_ms"] = median_ms(repeats, [&] {
            cache.reset();
            fs::remove_all(cache_dir);
            cache = std::make_unique<data::ImageCache>(cache_dir);
            const auto key = data::ImageCache::key(photo, images.fingerprint());
            if (!key || cache->load(*key, images)) throw Error("cache: a hit in an empty cache for " + photo.string());
            const at::Tensor rgb = vision::decode_image_rgb(span, photo.string());
            const at::Tensor ready = images.prepare(rgb, photo.string());
            cache->store(*key, {processed.source, ready});
            (void)images.finish(ready, processed.source, photo.string());
          });
          row["entry_bytes"] = fs::file_size(cache->path_for(*data::ImageCache::key(photo, images.fingerprint())));
          row["cache_hit_ms"] = median_ms(repeats, [&] {
            const auto key = data::ImageCache::key(photo, images.fingerprint());
            const auto hit = key ? cache->load(*key, images) : std::nullopt;
            if (!hit) throw Error("cache: no hit for " + photo.string());
            (void)images.finish(hit->prepared, hit->source, photo.string());
          });
          row["cache_hit_raw_ms"] = median_ms(repeats, [&] {
            const auto key = data::ImageCache::key(photo, images.fingerprint());
            const auto hit = key ? cache->load(*key, images) : std::nullopt;
            if (!hit) throw Error("cache: no hit for " + photo.string());
            (void)images.finish(hit->prepared, hit->source, photo.string(), /*normalize=*/false);
          });
        }
        out["results"].push_back(row);
      }
    }
    if (!keep) fs::remove_all(dir);
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vltune-bench-images: %s\n", e.what());
    if (!keep) fs::remove_all(dir);
    return 1;
  }
}
