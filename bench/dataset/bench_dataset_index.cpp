// vltune-bench-dataset-index: how long indexing and validating a large dataset takes, with no
// pixel decoded. Generates N samples (default 100,000) in a folder, in one of two layouts users
// bring, then times open_dataset (reading every row, resolving every image path) and
// validate_dataset (every image header, duplicates, roles, markers; token lengths with --model).
// Prints one JSON object.
//   vltune-bench-dataset-index [--samples N] [--layout captions|sharegpt] [--dir DIR] [--keep]
//                              [--model DIR]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/data/dataset.h"
#include "core/data/validation.h"
#include "core/error.h"
#include "core/io/hf_config.h"
#include "core/text/chat_template.h"
#include "core/text/tokenizer.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace vltune;

namespace {

// A 2x2 grey PNG: the pixels do not matter, only that every file has a readable header.
const unsigned char kPng[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
    0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0x57, 0xdd, 0x52, 0xf8, 0x00, 0x00, 0x00,
    0x0e, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x68, 0x68, 0x60, 0x68, 0x68, 0x00, 0x00, 0x06, 0x06, 0x02,
    0x01, 0x2c, 0xc1, 0x50, 0xd7, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void write_bytes(const fs::path& path, const void* data, size_t n) {
  std::ofstream(path, std::ios::binary).write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
}

// 1,000 images per subfolder, as large scraped sets are usually sharded.
fs::path image_path(const fs::path& root, int64_t i) {
  return root / "images" / std::to_string(i / 1000) / ("img_" + std::to_string(i) + ".png");
}

void generate(const fs::path& root, int64_t n, const std::string& layout) {
  for (int64_t i = 0; i < n; i += 1000) fs::create_directories(image_path(root, i).parent_path());
  if (layout == "captions") {
    for (int64_t i = 0; i < n; ++i) {
      const fs::path img = image_path(root, i);
      write_bytes(img, kPng, sizeof kPng);
      std::ofstream(fs::path(img).replace_extension(".txt")) << "a photo of item " << i << ", seen from the side\n";
    }
    return;
  }
  std::ofstream rows(root / "data.json");
  rows << "[\n";
  for (int64_t i = 0; i < n; ++i) {
    write_bytes(image_path(root, i), kPng, sizeof kPng);
    const json row = {{"conversations",
                       {{{"from", "human"}, {"value", "<image>What is shown in picture " + std::to_string(i) + "?"}},
                        {{"from", "gpt"}, {"value", "Item " + std::to_string(i) + ", seen from the side."}}}},
                      {"images", {fs::relative(image_path(root, i), root).string()}}};
    rows << row.dump() << (i + 1 < n ? ",\n" : "\n");
  }
  rows << "]\n";
  std::ofstream(root / "dataset_info.json")
      << json{{"bench", {{"file_name", "data.json"}, {"formatting", "sharegpt"}}}}.dump(2);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 100000;
  std::string layout = "captions";
  fs::path dir, model;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--samples") n = std::stoll(value());
    else if (a == "--layout") layout = value();
    else if (a == "--dir") dir = value();
    else if (a == "--model") model = value();
    else if (a == "--keep") keep = true;
    else {
      std::fprintf(stderr,
                   "usage: vltune-bench-dataset-index [--samples N] [--layout captions|sharegpt] [--dir DIR] [--keep] "
                   "[--model DIR]\n");
      return 2;
    }
  }
  if (layout != "captions" && layout != "sharegpt") {
    std::fprintf(stderr, "--layout: captions or sharegpt\n");
    return 2;
  }
  const bool made_dir = dir.empty();
  if (made_dir) dir = fs::temp_directory_path() / ("vltune-bench-dataset-" + std::to_string(::getpid()));
  try {
    fs::create_directories(dir);
    auto t = std::chrono::steady_clock::now();
    generate(dir, n, layout);
    const double generate_s = seconds_since(t);

    data::OpenOptions options;
    options.caption_prompt = "Describe the image.";
    t = std::chrono::steady_clock::now();
    const data::Dataset dataset = data::open_dataset(dir, options);
    const double index_s = seconds_since(t);

    data::ValidationParams params;
    std::shared_ptr<const text::Tokenizer> tokenizer;
    if (!model.empty()) {
      const auto config = io::read_model_config(model / "config.json");
      tokenizer = text::load_tokenizer(model);
      params.tokenizer = tokenizer.get();
      params.tmpl = &text::get_template(text::default_template_for_model_type(config.model_type));
      params.layout = text::load_image_layout(model);
    }
    t = std::chrono::steady_clock::now();
    const data::DatasetReport report = data::validate_dataset(dataset, params);
    const double validate_s = seconds_since(t);

    const json out = {{"layout", layout},
                      {"format", data::format_name(dataset.format)},
                      {"samples", report.stats.samples},
                      {"images", report.stats.images},
                      {"problems", report.problems.size()},
                      {"tokens_measured", report.stats.tokens_measured},
                      {"generate_seconds", generate_s},
                      {"index_seconds", index_s},
                      {"validate_seconds", validate_s},
                      {"samples_per_second_index", static_cast<double>(n) / index_s}};
    std::printf("%s\n", out.dump(2).c_str());
  } catch (const vltune::Error& e) {
    std::fprintf(stderr, "vltune-bench-dataset-index: %s\n", e.what());
    if (made_dir && !keep) fs::remove_all(dir);
    return 1;
  }
  if (made_dir && !keep) fs::remove_all(dir);
  return 0;
}
