// vltune-bench-decode: batch-1 decoding speed, the `decode` work of ../shared/bench/README.md: a
// real-size model with random weights (from a config.json; normal(0, initializer_range) as
// transformers draws them, on the device), a prompt of one image and 32 text
// tokens, 128 new tokens greedy. Prints one JSON object with hf_baseline.json's fields
// (prompt_len, prefill_s, decode_tokens_per_s, weight_gib) and what bounds it: the bytes decoding
// reads per token (decoder layers + lm_head; the vision tower is not read) and the tokens/s the
// memory bandwidth allows.
//   vltune-bench-decode --config ../shared/bench/configs/qwen2_vl_2b.config.json [--device cuda]
//                       [--precision bf16] [--new-tokens 128] [--text-tokens 32] [--bandwidth-gbs 3000]
//                       [--steps auto|growing|fixed|graph] [--profile DIR [--no-trace]]
//   vltune-bench-decode --model DIR ...   (a model folder with weights instead)
// decode_tokens_per_s is computed as bench_hf.py does: (new - 1) / (time of the whole generation
// - time of a 1-token generation); first_token_s is the 1-token generation (prefill + first token).
// --profile DIR profiles one more generation after the timed ones (LibTorch's profiler): the JSON
// gains "profile", per new token (GPU busy share, launches, host waits, top kernels), and DIR
// its Chrome trace.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "bench/profile/step_profile.h"
#include "bench/support/crash_report.h"
#include "bench/support/random_weights.h"
#include "core/error.h"
#include "core/gen/generator.h"
#include "core/io/hf_config.h"
#include "core/kernels/fused_ops.h"
#include "core/lora/lora_factory.h"
#include "core/lora/lora_model.h"
#include "core/models/merged_products.h"
#include "core/models/weight_loader.h"
#include "core/runtime_info.h"

namespace fs = std::filesystem;
using namespace vltune;

namespace {

// Where it is, on stderr: a crash on a GPU box shows the stage it happened in.
void stage(const char* what) {
  std::fprintf(stderr, "vltune-bench-decode: %s\n", what);
  std::fflush(stderr);
}


struct Options {
  fs::path config;         // a config.json (random weights)
  fs::path model;          // or a model folder (its weights)
  std::string device = "auto";
  std::string precision = "bf16";
  int64_t new_tokens = 128;
  int64_t text_tokens = 32;
  int64_t qwen_image = 448;      // Qwen: square image side (448: 1024 patches, 256 tokens)
  int64_t idefics3_image = 512;  // Idefics3: one tile of this side
  double bandwidth_gbs = 3000;   // memory bandwidth for the limit (the H100's ~3 TB/s)
  int repeat = 3;                // timed generations; the best is reported
  gen::StepShapes steps = gen::StepShapes::automatic;  // how the decode steps run (gen::StepShapes)
  fs::path profile;              // profile one more generation: its Chrome trace here
  bool trace = true;             // --no-trace: the profile's summary only
};

gen::StepShapes step_shapes(const std::string& name) {
  if (name == "auto") return gen::StepShapes::automatic;
  if (name == "growing") return gen::StepShapes::growing;
  if (name == "fixed") return gen::StepShapes::fixed;
  if (name == "graph") return gen::StepShapes::graph;
  throw Error("--steps takes auto, growing, fixed or graph, not \"" + name + "\"");
}

const char* step_shapes_name(gen::StepShapes s) {
  switch (s) {
    case gen::StepShapes::automatic: return "auto";
    case gen::StepShapes::growing: return "growing";
    case gen::StepShapes::fixed: return "fixed";
    case gen::StepShapes::graph: return "graph";
  }
  return "?";
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw Error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--config") o.config = value();
    else if (a == "--model") o.model = value();
    else if (a == "--device") o.device = value();
    else if (a == "--precision") o.precision = value();
    else if (a == "--new-tokens") o.new_tokens = std::stoll(value());
    else if (a == "--text-tokens") o.text_tokens = std::stoll(value());
    else if (a == "--bandwidth-gbs") o.bandwidth_gbs = std::stod(value());
    else if (a == "--repeat") o.repeat = std::stoi(value());
    else if (a == "--steps") o.steps = step_shapes(value());
    else if (a == "--profile") o.profile = value();
    else if (a == "--no-trace") o.trace = false;
    else throw Error("unknown option " + a);
  }
  if (o.config.empty() == o.model.empty()) throw Error("give --config FILE (random weights) or --model DIR");
  return o;
}

// bench_hf.py's batch(spec, 1, text_tokens): random text ids around one image.
data::Batch prompt(const nlohmann::json& config, io::ModelFamily family, const Options& o) {
  torch::manual_seed(0);
  data::Batch b;
  b.family = family;
  std::vector<int64_t> ids;
  if (family == io::ModelFamily::qwen2_vl || family == io::ModelFamily::qwen2_5_vl) {
    const int64_t p = o.qwen_image / 14, patches = p * p;
    const auto text = torch::randint(0, 150000, {o.text_tokens}, torch::kLong);
    for (int64_t i = 0; i < o.text_tokens; ++i) {
      if (i == 8) {
        ids.push_back(config.value("vision_start_token_id", 151652));
        ids.insert(ids.end(), patches / 4, config.value("image_token_id", 151655));
        ids.push_back(config.value("vision_end_token_id", 151653));
      }
      ids.push_back(text[i].item<int64_t>());
    }
    b.pixel_values = torch::randn({patches, 3 * 2 * 14 * 14});
    b.image_grid_thw = torch::full({1, 3}, p, torch::kLong);
    b.image_grid_thw[0][0] = 1;  // [[1, p, p]]: one frame of p x p patches
  } else if (family == io::ModelFamily::idefics3) {
    const int64_t s = o.idefics3_image, image_tokens = (s / 16) * (s / 16) / 16;
    const auto text = torch::randint(0, 49000, {o.text_tokens}, torch::kLong);
    for (int64_t i = 0; i < o.text_tokens; ++i) {
      if (i == 8) ids.insert(ids.end(), image_tokens, config.value("image_token_id", 49190));
      ids.push_back(text[i].item<int64_t>());
    }
    b.pixel_values = torch::randn({1, 1, 3, s, s});
    b.pixel_attention_mask = torch::ones({1, 1, s, s}, torch::kLong);
  } else {
    throw Error("the decode benchmark lays out prompts for Qwen2-VL, Qwen2.5-VL and Idefics3 (SmolVLM)");
  }
  b.input_ids = torch::from_blob(ids.data(), {1, static_cast<int64_t>(ids.size())}, torch::kLong).clone();
  b.attention_mask = torch::ones({1, static_cast<int64_t>(ids.size())}, torch::kLong);
  return b;
}

int64_t bytes_of(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel() * static_cast<int64_t>(p.element_size());
  return n;
}

// Bytes decoding reads per token: the decoder layers, the final norm and lm_head (the embedding
// table is indexed, not read whole; the vision tower is not run).
int64_t decode_bytes(lora::LoraModel& model) {
  int64_t n = 0;
  for (const auto& item : model.module().named_parameters()) {
    const std::string& name = item.key();
    const bool decoder = name.find(".layers.") != std::string::npos && name.find("vision") == std::string::npos &&
                         name.find("visual") == std::string::npos;
    const bool head = name.rfind("lm_head.", 0) == 0 || name.find(".norm.") != std::string::npos;
    if (decoder || head) n += item.value().numel() * static_cast<int64_t>(item.value().element_size());
  }
  return n;
}

void sync(const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize(d.index());
}

}  // namespace

int main(int argc, char** argv) {
  bench::install_crash_report("vltune-bench-decode");
  try {
    const Options o = parse(argc, argv);
    const lora::ModelPlacement placement = lora::resolve_placement(o.device, o.precision);
    std::unique_ptr<lora::LoraModel> model;
    fs::path dir = o.model;
    std::string name = o.model.filename().string();
    nlohmann::json config;
    std::ifstream(o.config.empty() ? o.model / "config.json" : o.config) >> config;
    const auto load_start = std::chrono::steady_clock::now();
    if (!o.config.empty()) {
      // read_model_config takes a folder: the config alone, copied into one.
      dir = fs::temp_directory_path() / ("vltune-bench-decode-" + std::to_string(::getpid()));
      fs::create_directories(dir);
      fs::copy_file(o.config, dir / "config.json", fs::copy_options::overwrite_existing);
      name = o.config.filename().string();
      if (const auto dot = name.find('.'); dot != std::string::npos) name = name.substr(0, dot);
      torch::manual_seed(0);
      stage(("building the model with random weights, drawn on " + placement.device.str()).c_str());
      model = bench::random_model_on(dir, placement, bench::initializer_range(config));
    } else {
      model = lora::open_model(o.model, placement);
    }
    stage("placed");
    model->module().eval();
    const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
    const data::Batch batch = prompt(config, model->family(), o);
    if (!o.config.empty()) {
      std::error_code ec;
      fs::remove(dir / "config.json", ec);
      fs::remove(dir, ec);
    }
    stage("prompt made");

    gen::GenerationParams params;  // greedy, no stop ids: every run makes exactly new_tokens
    auto run = [&](int64_t tokens) {
      params.max_new_tokens = tokens;
      sync(placement.device);
      const auto t0 = std::chrono::steady_clock::now();
      gen::DecodeModel decode = gen::decode_model(*model, batch);
      decode.shapes = o.steps;
      gen::Decoding decoding(std::move(decode), nullptr, params);
      if (decoding.start())
        while (decoding.advance()) {
        }
      sync(placement.device);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (static_cast<int64_t>(decoding.result().token_ids.size()) != tokens) throw Error("generation stopped early");
      return std::make_pair(s, decoding.result());
    };
    stage("warming up");
    run(4);  // warm-up: allocator, kernels' first launches
    double first = 1e300, all = 1e300, ours_tps = 0, ours_prefill = 1e300;
    bool graphed = false;
    for (int r = 0; r < o.repeat; ++r) {
      first = std::min(first, run(1).first);
      const auto [s, result] = run(o.new_tokens);
      all = std::min(all, s);
      graphed = result.cuda_graph;
      ours_tps = std::max(ours_tps, result.tokens_per_second);
      ours_prefill = std::min(ours_prefill, result.prefill_seconds);
    }
    stage("timed");
    nlohmann::json profile;
    if (!o.profile.empty()) {
      fs::create_directories(o.profile);
      const fs::path trace = o.profile / (name + "-" + step_shapes_name(o.steps) + ".decode.trace.json");
      try {
        bench::StepProfile profiler;
        profiler.start();
        const double s = run(o.new_tokens).first;
        profile = profiler.stop(s, static_cast<int>(o.new_tokens), o.trace ? trace.string() : std::string());
        stage(("profile per new token (prefill included in the wall time)\n" + bench::StepProfile::describe(profile)).c_str());
      } catch (const std::exception& e) {
        profile = {{"error", e.what()}};  // the timed figures stand without a profile
        stage((std::string("profile failed: ") + e.what()).c_str());
      }
    }
    const int64_t read = decode_bytes(*model);
    const double limit = o.bandwidth_gbs * 1e9 / static_cast<double>(read);
    const double tps = static_cast<double>(o.new_tokens - 1) / (all - first);
    nlohmann::json out = {
        {"bench", "decode"},
        {"system", "vltune"},
        {"model", name},
        {"device", lora::to_string(placement)},
        {"prompt_len", batch.input_ids.size(1)},
        {"new_tokens", o.new_tokens},
        {"prefill_s", std::round(first * 1e4) / 1e4},
        {"decode_tokens_per_s", std::round(tps * 10) / 10},
        {"weight_gib", std::round(static_cast<double>(bytes_of(model->module())) / (1 << 30) * 100) / 100},
        {"first_token_s", std::round(ours_prefill * 1e4) / 1e4},
        {"engine_tokens_per_s", std::round(ours_tps * 10) / 10},
        {"decode_read_gib", std::round(static_cast<double>(read) / (1 << 30) * 100) / 100},
        {"bandwidth_limit_tokens_per_s", std::round(limit)},
        {"fraction_of_limit", std::round(tps / limit * 1000) / 1000},
        {"load_s", std::round(load_s * 10) / 10},
        {"steps", step_shapes_name(o.steps)},
        {"cuda_graph", graphed},
        {"fused_kernels", kernels::fused_kernels_enabled()},  // VLTUNE_FUSED_KERNELS=1
        {"merged_products", models::merged_products_enabled()},  // VLTUNE_MERGED_PRODUCTS=0 turns them off
        {"torch", describe(runtime_info())},
    };
    if (!profile.is_null()) out["profile"] = profile;
    std::printf("%s\n", out.dump().c_str());
    std::fflush(stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vltune-bench-decode: %s\n", e.what());
    return 1;
  }
}
