#include "core/cli/inspect_command.h"

#include "core/cli/inspect_dataset.h"

#include <cstdio>
#include <filesystem>
#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/hf_config.h"

namespace vltune::cli {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

constexpr const char* kUsage =
    "usage: vltune-cli inspect <checkpoint folder | .safetensors | .index.json> [--tensors] [--json]\n"
    "       vltune-cli inspect <dataset folder or file> [--model DIR] [--template NAME] ... (--help there)\n"
    "  Summarises a Hugging Face checkpoint or PEFT adapter: model family and sizes (from\n"
    "  config.json when present), tensor count, parameters and bytes per dtype.\n"
    "  --tensors  also list every tensor (name, dtype, shape)\n"
    "  --json     print one JSON object instead of text\n";

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

int run_inspect(const std::vector<std::string>& args) {
  // A dataset unless the path holds weights: datasets take options with values, so the path is
  // the first argument that is neither an option nor an option's value.
  static const std::vector<std::string> kDatasetValueOptions = {
      "--model", "--template", "--cutoff-len", "--image-max-pixels", "--image-min-pixels",
      "--format", "--dataset", "--caption-prompt", "--media-dir"};
  for (size_t i = 0; i < args.size(); ++i) {
    if (std::find(kDatasetValueOptions.begin(), kDatasetValueOptions.end(), args[i]) != kDatasetValueOptions.end())
      return run_inspect_dataset(args);
    if (args[i].empty() || args[i][0] == '-') continue;
    if (!looks_like_checkpoint(args[i])) return run_inspect_dataset(args);
    break;
  }

  fs::path target;
  bool list_tensors = false, as_json = false;
  for (const auto& a : args) {
    if (a == "--tensors") list_tensors = true;
    else if (a == "--json") as_json = true;
    else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "vltune-cli inspect: unknown option %s\n%s", a.c_str(), kUsage);
      return 2;
    } else if (target.empty()) target = a;
    else {
      std::fprintf(stderr, "vltune-cli inspect: one path only\n%s", kUsage);
      return 2;
    }
  }
  if (target.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }

  const io::Checkpoint ckpt = io::Checkpoint::open(target);
  ordered_json out;
  out["weights"] = ckpt.source().string();
  out["files"] = ckpt.files().size();

  const fs::path folder = fs::is_directory(target) ? target : target.parent_path();
  if (fs::exists(folder / "config.json")) {
    const io::ModelConfig config = io::read_model_config(folder / "config.json");
    out["model_type"] = config.model_type;
    out["family"] = std::string(io::model_family_name(config.family()));
    if (const auto* text = config.text_decoder()) {
      out["text"] = {{"layers", text->num_hidden_layers},
                     {"hidden_size", text->hidden_size},
                     {"heads", text->num_attention_heads},
                     {"kv_heads", text->num_key_value_heads},
                     {"vocab_size", text->vocab_size}};
    }
  }
  if (fs::exists(folder / "adapter_config.json")) out["adapter"] = true;

  int64_t parameters = 0;
  std::map<std::string, std::pair<int64_t, uint64_t>> by_dtype;  // dtype -> (tensors, bytes)
  ordered_json tensors = ordered_json::array();
  for (const auto& name : ckpt.names()) {
    const auto& info = ckpt.info(name);
    parameters += info.numel();
    auto& slot = by_dtype[io::dtype_name(info.dtype)];
    slot.first += 1;
    slot.second += info.end - info.begin;
    if (list_tensors)
      tensors.push_back({{"name", name}, {"dtype", io::dtype_name(info.dtype)}, {"shape", info.shape}});
  }
  out["tensors"] = ckpt.size();
  out["parameters"] = parameters;
  for (const auto& [dtype, counts] : by_dtype)
    out["dtypes"][dtype] = {{"tensors", counts.first}, {"bytes", counts.second}};
  if (list_tensors) out["tensor_list"] = tensors;

  if (as_json) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("weights     %s (%zu file%s)\n", ckpt.source().c_str(), ckpt.files().size(),
              ckpt.files().size() == 1 ? "" : "s");
  if (out.contains("model_type"))
    std::printf("model       %s (family %s)\n", out["model_type"].get<std::string>().c_str(),
                out["family"].get<std::string>().c_str());
  if (out.contains("text"))
    std::printf("text        %lld layers, hidden %lld, %lld heads (%lld kv), vocab %lld\n",
                static_cast<long long>(out["text"]["layers"].get<int64_t>()),
                static_cast<long long>(out["text"]["hidden_size"].get<int64_t>()),
                static_cast<long long>(out["text"]["heads"].get<int64_t>()),
                static_cast<long long>(out["text"]["kv_heads"].get<int64_t>()),
                static_cast<long long>(out["text"]["vocab_size"].get<int64_t>()));
  if (out.contains("adapter")) std::printf("adapter     yes (adapter_config.json)\n");
  std::printf("tensors     %zu, %lld parameters\n", ckpt.size(), static_cast<long long>(parameters));
  for (const auto& [dtype, counts] : by_dtype)
    std::printf("  %-8s  %lld tensors, %.2f MiB\n", dtype.c_str(), static_cast<long long>(counts.first),
                static_cast<double>(counts.second) / (1024.0 * 1024.0));
  if (list_tensors)
    for (const auto& t : tensors)
      std::printf("%s  %s  %s\n", t["name"].get<std::string>().c_str(),
                  t["dtype"].get<std::string>().c_str(),
                  shape_text(t["shape"].get<std::vector<int64_t>>()).c_str());
  return 0;
}

}  // namespace vltune::cli
