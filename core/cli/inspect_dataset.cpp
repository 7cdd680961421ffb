#include "core/cli/inspect_dataset.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/cli/cli_numbers.h"
#include "core/data/dataset.h"
#include "core/data/validation.h"
#include "core/error.h"
#include "core/io/hf_config.h"
#include "core/text/chat_template.h"
#include "core/text/tokenizer.h"

namespace vltune::cli {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

constexpr const char* kUsage =
    "usage: vltune-cli inspect <dataset folder or file> [--model DIR] [--template NAME] [--cutoff-len N]\n"
    "                          [--image-max-pixels N] [--image-min-pixels N] [--format NAME]\n"
    "                          [--dataset NAME[,NAME...]] [--caption-prompt TEXT] [--media-dir DIR]\n"
    "  Reads a dataset (LLaMA-Factory folder with dataset_info.json, sharegpt/alpaca/OpenAI-messages\n"
    "  .json/.jsonl, a folder of images with .txt captions, COCO captions), checks every row and prints\n"
    "  one JSON object: format, why it was detected, statistics and every problem with its file and row.\n"
    "  --model DIR          the model folder: its tokenizer and image processing give token lengths and\n"
    "                       the too_long check (its template unless --template)\n"
    "  --template NAME      the training template (qwen2_vl, llava, smolvlm)\n"
    "  --cutoff-len N       longest sample in tokens (default 2048, LLaMA-Factory's cutoff_len)\n"
    "  --image-max-pixels N / --image-min-pixels N   LLaMA-Factory's image pre-resize (768*768, 32*32)\n"
    "  --format NAME        read as this format instead of detecting it\n"
    "  --dataset NAMES      LLaMA-Factory: the dataset_info.json entries to read (default: all)\n"
    "  --caption-prompt T   caption formats: the question asked before each caption\n"
    "  --media-dir DIR      where relative image paths are looked up first (LLaMA-Factory media_dir)\n"
    "Exit status: 0 no problems, 1 problems found, 2 the input could not be read.\n";

int64_t parse_count(const std::string& option, const std::string& value) {
  if (const auto v = whole_integer(value); v && *v > 0) return *v;
  throw Error(option + " expects a positive whole number, got \"" + value + "\"");
}

std::vector<std::string> split_names(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    std::string name = list.substr(start, comma - start);
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    if (!name.empty()) out.push_back(name);
    start = comma + 1;
  }
  return out;
}

// `with_histogram` off for the summaries whose histogram would repeat another's.
ordered_json distribution_json(const data::Distribution& d, bool with_histogram = true) {
  if (d.count == 0) return nullptr;
  ordered_json j = {{"count", d.count}, {"min", d.min}, {"max", d.max}, {"mean", d.mean}, {"p50", d.p50}, {"p95", d.p95}};
  if (with_histogram) j["histogram"] = {{"edges", d.histogram.edges}, {"counts", d.histogram.counts}};
  return j;
}

// Everything parsed from the command line.
struct Options {
  fs::path target;
  std::optional<fs::path> model;
  std::optional<std::string> template_name;
  data::OpenOptions open;
  text::SupervisedParams supervised;
  bool help = false;
};

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw Error(a + " needs a value");
      return args[++i];
    };
    if (a == "-h" || a == "--help") o.help = true;
    else if (a == "--model") o.model = value();
    else if (a == "--template") o.template_name = value();
    else if (a == "--cutoff-len") o.supervised.cutoff_len = parse_count(a, value());
    else if (a == "--image-max-pixels") o.supervised.image.image_max_pixels = parse_count(a, value());
    else if (a == "--image-min-pixels") o.supervised.image.image_min_pixels = parse_count(a, value());
    else if (a == "--format") {
      const std::string& name = value();
      o.open.format = data::parse_format(name);
      if (!o.open.format)
        throw Error("--format: unknown format \"" + name +
                    "\" (llamafactory, openai_messages, image_captions, coco_captions, sharegpt, alpaca)");
    } else if (a == "--dataset") o.open.datasets = split_names(value());
    else if (a == "--caption-prompt") o.open.caption_prompt = value();
    else if (a == "--media-dir") o.open.media_dir = value();
    else if (!a.empty() && a[0] == '-') throw Error("unknown option " + a);
    else if (o.target.empty()) o.target = a;
    else throw Error("one dataset path only (got \"" + o.target.string() + "\" and \"" + a + "\")");
  }
  if (o.target.empty() && !o.help) throw Error("no dataset path given");
  return o;
}

}  // namespace

bool looks_like_checkpoint(const fs::path& path) {
  const std::string name = path.filename().string();
  auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return ends_with(".safetensors") || ends_with(".safetensors.index.json");
  if (!fs::is_directory(path, ec)) return false;
  if (fs::exists(path / "adapter_config.json", ec)) return true;
  for (const auto& entry : fs::directory_iterator(path, ec))
    if (entry.path().extension() == ".safetensors") return true;
  return false;
}

int run_inspect_dataset(const std::vector<std::string>& args) {
  Options options;
  try {
    options = parse_options(args);
    if (options.help) {
      std::fputs(kUsage, stdout);
      return 0;
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "vltune-cli inspect: %s\n%s", e.what(), kUsage);
    return 2;
  }

  // Everything that must work before a single row can be judged: the dataset as a whole, and
  // the model and template the lengths are measured with.
  data::Dataset dataset;
  std::shared_ptr<const text::Tokenizer> tokenizer;
  data::ValidationParams params;
  params.supervised = options.supervised;
  double index_seconds = 0;
  try {
    const auto start = std::chrono::steady_clock::now();
    dataset = data::open_dataset(options.target, options.open);
    index_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string template_name = options.template_name.value_or("");
    if (options.model) {
      const io::ModelConfig config = io::read_model_config(*options.model / "config.json");
      if (template_name.empty()) template_name = text::default_template_for_model_type(config.model_type);
      tokenizer = text::load_tokenizer(*options.model);
      params.tokenizer = tokenizer.get();
      if (config.family() != io::ModelFamily::clip) params.layout = text::load_image_layout(*options.model);
    }
    if (!template_name.empty()) params.tmpl = &text::get_template(template_name);
  } catch (const Error& e) {
    std::fprintf(stderr, "vltune-cli inspect: %s\n", e.what());
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  const data::DatasetReport report = data::validate_dataset(dataset, params);
  const double validate_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  ordered_json out;
  out["format"] = std::string(data::format_name(dataset.format));
  out["detected_because"] = dataset.detected_because;
  out["root"] = dataset.root.string();
  ordered_json files = ordered_json::array();
  for (const data::DataFile& f : dataset.files)
    files.push_back({{"name", f.name}, {"file", f.path.string()}, {"formatting", f.formatting}, {"rows", f.rows}, {"ranking", f.ranking}});
  out["files"] = files;
  const data::DatasetStats& stats = report.stats;
  out["samples"] = stats.samples;
  out["images"] = stats.images;
  out["image_refs"] = stats.image_refs;
  out["samples_with_images"] = stats.samples_with_images;
  out["turns"] = stats.turns;
  out["rows_with_problems"] = report.rows_with_problems;
  out["usable_samples"] = stats.samples - report.rows_with_problems;
  if (stats.tokens_measured) {
    ordered_json tokens = distribution_json(stats.tokens);
    if (tokens.is_null()) tokens = ordered_json::object();
    tokens["template"] = params.tmpl->name;
    tokens["cutoff_len"] = params.supervised.cutoff_len;
    tokens["image_max_pixels"] = params.supervised.image.image_max_pixels;
    tokens["image_min_pixels"] = params.supervised.image.image_min_pixels;
    out["tokens"] = tokens;
  } else {
    out["tokens"] = nullptr;
    out["tokens_note"] = options.model ? "this model has no training template: pass --template NAME"
                                       : "pass --model DIR (and --template NAME) to measure token lengths and check cutoff_len";
  }
  out["image_sizes"] = {{"width", distribution_json(stats.image_width, false)},
                        {"height", distribution_json(stats.image_height, false)},
                        {"longest_side", distribution_json(stats.image_longest_side)}};
  std::map<std::string, int64_t> counts;
  ordered_json problems = ordered_json::array();
  for (const data::Problem& p : report.problems) {
    ++counts[std::string(data::problem_kind_name(p.kind))];
    ordered_json j = {{"file", p.file}, {"row", p.row}, {"kind", data::problem_kind_name(p.kind)}, {"message", p.message}};
    if (p.line > 0) {
      j["line"] = p.line;
      j["column"] = p.column;
    }
    problems.push_back(std::move(j));
  }
  out["problem_counts"] = counts;
  out["problems"] = problems;
  out["seconds"] = {{"index", index_seconds}, {"validate", validate_seconds}};
  std::printf("%s\n", out.dump(2).c_str());
  return report.problems.empty() ? 0 : 1;
}

}  // namespace vltune::cli
