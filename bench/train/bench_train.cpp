// vltune-bench-train: one LoRA training step's speed and memory, the `train_lora` work of
// ../shared/bench/README.md and bench_hf.py's train_bench: a real-size model with random weights
// (normal(0, initializer_range) as transformers' _init_weights: linear, convolution and embedding
// weights; norms 1, biases 0), batch 4 of one image (Qwen 448x448: 256 image tokens; SmolVLM one
// 512x512 tile: 64) plus 256 text tokens, loss on the last 128; LoRA r=64, alpha=128, dropout 0 on
// q,k,v,o,gate,up,down of the language model, float32; base weights bf16; AdamW lr 1e-4 (the
// trainer's, multi-tensor); grad-norm clip 1.0 (the trainer's); median of 8 steps after 3 warm-up;
// with and without gradient checkpointing. Prints one
// JSON object per setting with hf_baseline.json's fields.
//   vltune-bench-train --config-dir ../shared/bench/configs --model smolvlm_256m [--device cuda]
//                      [--precision bf16] [--grad-ckpt both|on|off] [--steps 8] [--warmup 3]
//                      [--layers N] [--chunk-rows 1024] [--quant none|nf4|int8]
//                      [--memory-fraction F] [--offload] [--out FILE] [--profile DIR [--no-trace]]
//   vltune-bench-train --load DIR ...   (the folder `bench_hf.py --save DIR NAME` wrote: the same
//                      weights and batch; prints our first-step loss next to HF's step-0 loss)
// Mixed precision as HF's: bf16 weights, and LoRA's float32 matrices cast to bf16 for each product
// (torch.autocast there, LoraModel::set_adapter_compute_dtype here, as the trainer does). --layers N keeps the first N decoder layers (the language model only), for a CPU
// run; the JSON says so. --quant nf4|int8 keeps the language model's linear weights quantised
// (QLoRA; random weights are drawn and quantised on the device) for the LoRA-vs-QLoRA memory figures;
// --memory-fraction F caps this process's share of the card (torch's per-process memory
// fraction) from the first training step, to show a run fits a smaller card; --offload keeps the
// checkpointed layers' inputs in host memory (use_unsloth_gc; "checkpoint_offload" in the JSON). On CUDA one more step
// runs with LibTorch's sync warnings on: "syncs" counts how often it made the host wait for the card
// (the loss read is one) and keeps the first call stacks. --profile DIR runs two more steps under LibTorch's
// profiler after the timed ones: the JSON gains "profile" (GPU busy share, launches, host waits,
// the top kernels and operators) and DIR a Chrome trace per setting. "train_graphs" says whether
// the decoder's layers replayed CUDA graphs (VLTUNE_TRAIN_GRAPHS=1, core/models/graphed_stack.h),
// "compact_autograd" whether training recorded the compact nodes (VLTUNE_COMPACT_AUTOGRAD).
#include <unistd.h>

#include <cstdlib>

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
#include <ATen/CPUGeneratorImpl.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "bench/profile/step_profile.h"
#include "bench/support/crash_report.h"
#include "bench/support/random_weights.h"
#include "bench/support/sync_counter.h"
#include "core/error.h"
#include "core/io/hf_config.h"
#include "core/io/safetensors.h"
#include "core/lora/lora_factory.h"
#include "core/lora/lora_model.h"
#include "core/lora/targeting.h"
#include "core/models/compact_autograd.h"
#include "core/models/text_decoder.h"
#include "core/models/weight_loader.h"
#include "core/runtime_info.h"
#include "core/train/grad_clip.h"
#include "core/train/memory_usage.h"
#include "core/train/optimizer.h"

namespace fs = std::filesystem;
using namespace vltune;

namespace {

void stage(const std::string& what) {
  std::fprintf(stderr, "vltune-bench-train: %s\n", what.c_str());
  std::fflush(stderr);
}

struct Options {
  fs::path config_dir;           // configs/<model>.config.json (random weights)
  std::string model;             // smolvlm_256m, qwen2_vl_2b, qwen2_5_vl_3b
  fs::path load;                 // or bench_hf.py --save's folder (its weights and batch)
  std::string device = "auto";   // auto, cpu, cuda[:N]
  std::string precision = "bf16";
  std::string grad_ckpt = "both";  // both, on, off
  int64_t batch = 4;
  int64_t text_tokens = 256;     // loss on the last text_tokens / 2
  int64_t qwen_image = 448;      // Qwen: square image side (1024 patches -> 256 tokens)
  int64_t idefics3_image = 512;  // Idefics3: one tile of this side (64 tokens)
  int steps = 8;                 // timed steps (median reported)
  int warmup = 3;                // untimed steps first
  int64_t layers = 0;            // > 0: keep only this many decoder layers (CPU runs)
  int64_t chunk_rows = 1024;     // the chunked loss's rows per lm_head product
  int64_t rank = 64;
  double alpha = 128;
  std::string quant = "none";    // none, nf4 (4-bit, double-quantised scales) or int8
  double memory_fraction = 0;    // > 0: cap the CUDA caching allocator at this share of the card
  bool offload = false;          // checkpointed layers' inputs wait in host memory (use_unsloth_gc)
  fs::path out;                  // also write the JSON rows here (a JSON array)
  fs::path profile;              // profile two more steps: a Chrome trace per setting here
  bool trace = true;             // --no-trace: the profile's summary only (a 3B step's trace is ~100 MB)
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw Error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--config-dir") o.config_dir = value();
    else if (a == "--model") o.model = value();
    else if (a == "--load") o.load = value();
    else if (a == "--device") o.device = value();
    else if (a == "--precision") o.precision = value();
    else if (a == "--grad-ckpt") o.grad_ckpt = value();
    else if (a == "--batch") o.batch = std::stoll(value());
    else if (a == "--text-tokens") o.text_tokens = std::stoll(value());
    else if (a == "--steps") o.steps = std::stoi(value());
    else if (a == "--warmup") o.warmup = std::stoi(value());
    else if (a == "--layers") o.layers = std::stoll(value());
    else if (a == "--chunk-rows") o.chunk_rows = std::stoll(value());
    else if (a == "--rank") o.rank = std::stoll(value());
    else if (a == "--alpha") o.alpha = std::stod(value());
    else if (a == "--quant") o.quant = value();
    else if (a == "--memory-fraction") o.memory_fraction = std::stod(value());
    else if (a == "--offload") o.offload = true;
    else if (a == "--out") o.out = value();
    else if (a == "--profile") o.profile = value();
    else if (a == "--no-trace") o.trace = false;
    else throw Error("unknown option " + a);
  }
  if (o.load.empty() && (o.config_dir.empty() || o.model.empty()))
    throw Error("give --config-dir DIR --model NAME (random weights) or --load DIR (bench_hf.py --save)");
  if (o.grad_ckpt != "both" && o.grad_ckpt != "on" && o.grad_ckpt != "off")
    throw Error("--grad-ckpt is both, on or off, not " + o.grad_ckpt);
  if (o.quant != "none" && o.quant != "nf4" && o.quant != "int8")
    throw Error("--quant is none, nf4 or int8, not " + o.quant);
  if (o.memory_fraction < 0 || o.memory_fraction > 1) throw Error("--memory-fraction is between 0 and 1");
  if (o.steps < 1 || o.warmup < 0) throw Error("--steps must be at least 1 and --warmup at least 0");
  return o;
}

// The decoder's layer count, cut to `layers` in a copy of the config (text_config's, or the top
// level's for a flat config).
void truncate_layers(nlohmann::json& config, int64_t layers) {
  nlohmann::json& text = config.contains("text_config") ? config["text_config"] : config;
  if (!text.contains("num_hidden_layers")) throw Error("the config has no num_hidden_layers to truncate");
  text["num_hidden_layers"] = std::min<int64_t>(layers, text["num_hidden_layers"].get<int64_t>());
  // transformers 5 lists each layer's attention type: one entry per layer kept.
  for (nlohmann::json* c : {&text, &config})
    if (c->contains("layer_types") && (*c)["layer_types"].is_array() &&
        static_cast<int64_t>((*c)["layer_types"].size()) > text["num_hidden_layers"].get<int64_t>())
      (*c)["layer_types"].get_ref<nlohmann::json::array_t&>().resize(text["num_hidden_layers"].get<size_t>());
  if (config.contains("num_hidden_layers") && &text != &config) config["num_hidden_layers"] = text["num_hidden_layers"];
}

bool is_qwen(io::ModelFamily f) { return f == io::ModelFamily::qwen2_vl || f == io::ModelFamily::qwen2_5_vl; }

// bench_hf.py's batch(spec, bs, text_len, seed=0), drawn in the same order from a generator seeded 0.
data::Batch make_batch(const nlohmann::json& config, io::ModelFamily family, const Options& o) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
  data::Batch b;
  b.family = family;
  std::vector<int64_t> ids;
  if (is_qwen(family)) {
    const int64_t p = o.qwen_image / 14, patches = p * p;
    b.pixel_values = at::randn({o.batch * patches, 3 * 2 * 14 * 14}, gen);
    for (int64_t s = 0; s < o.batch; ++s) {
      const auto t = at::randint(0, 150000, {o.text_tokens}, gen);
      for (int64_t i = 0; i < o.text_tokens; ++i) {
        if (i == 8) {
          ids.push_back(config.value("vision_start_token_id", 151652));
          ids.insert(ids.end(), patches / 4, config.value("image_token_id", 151655));
          ids.push_back(config.value("vision_end_token_id", 151653));
        }
        ids.push_back(t[i].item<int64_t>());
      }
    }
    b.image_grid_thw = torch::tensor({int64_t{1}, p, p}, torch::kLong).repeat({o.batch, 1});
  } else if (family == io::ModelFamily::idefics3) {
    const int64_t s = o.idefics3_image, image_tokens = (s / 16) * (s / 16) / 16;
    b.pixel_values = at::randn({o.batch, 1, 3, s, s}, gen);
    for (int64_t r = 0; r < o.batch; ++r) {
      const auto t = at::randint(0, 49000, {o.text_tokens}, gen);
      for (int64_t i = 0; i < o.text_tokens; ++i) {
        if (i == 8) ids.insert(ids.end(), image_tokens, config.value("image_token_id", 49190));
        ids.push_back(t[i].item<int64_t>());
      }
    }
    b.pixel_attention_mask = torch::ones({o.batch, 1, s, s}, torch::kLong);
  } else {
    throw Error("the training benchmark lays out batches for Qwen2-VL, Qwen2.5-VL and Idefics3 (SmolVLM)");
  }
  const auto n = static_cast<int64_t>(ids.size()) / o.batch;
  b.input_ids = torch::from_blob(ids.data(), {o.batch, n}, torch::kLong).clone();
  b.attention_mask = torch::ones_like(b.input_ids);
  b.labels = b.input_ids.clone();
  b.labels.narrow(1, 0, n - o.text_tokens / 2).fill_(-100);
  return b;
}

// bench_hf.py --save's batch.safetensors as our batch (pixels float32, masks int64).
data::Batch saved_batch(const fs::path& file, io::ModelFamily family) {
  const auto st = io::SafetensorsFile::open(file);
  auto get = [&](const char* key) { return st.contains(key) ? st.tensor(key).clone() : at::Tensor(); };
  data::Batch b;
  b.family = family;
  b.input_ids = get("input_ids").to(torch::kLong);
  b.attention_mask = get("attention_mask").to(torch::kLong);
  b.labels = get("labels").to(torch::kLong);
  b.pixel_values = get("pixel_values").to(torch::kFloat32);
  if (st.contains("image_grid_thw")) b.image_grid_thw = get("image_grid_thw").to(torch::kLong);
  if (st.contains("pixel_attention_mask")) b.pixel_attention_mask = get("pixel_attention_mask").to(torch::kLong);
  return b;
}

void sync(const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize(d.index());
}

double round_to(double v, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

}  // namespace

int main(int argc, char** argv) {
  bench::install_crash_report("vltune-bench-train");
  try {
    const Options o = parse(argc, argv);
    // Under a cap, fragmentation decides what fits (a 7B QLoRA step failed with 1.06 GiB reserved
    // but unused): expandable segments, before anything touches CUDA. Not otherwise: the H200's
    // 3B steps ran 40% slower with them on (2026-11-27, RESULTS.md).
    if (o.memory_fraction > 0) vltune::train::prefer_expandable_cuda_segments();
    const lora::ModelPlacement placement = lora::resolve_placement(o.device, o.precision);
    const bool loaded = !o.load.empty();
    lora::QuantParams quant;
    if (o.quant != "none") quant.bits = o.quant == "nf4" ? 4 : 8;
    bool capped = false;
    std::string name = o.model;
    nlohmann::json config;
    double hf_step0 = std::nan("");
    fs::path scratch;
    fs::path dir = o.load;
    if (loaded) {
      std::ifstream(o.load / "config.json") >> config;
      if (fs::exists(o.load / "hf_step0.json")) {
        nlohmann::json step0;
        std::ifstream(o.load / "hf_step0.json") >> step0;
        hf_step0 = step0.value("step0_loss_bf16_autocast", hf_step0);
        if (name.empty()) name = step0.value("model", std::string());
      }
      if (o.layers > 0) throw Error("--layers applies to random weights only, not --load");
    } else {
      const fs::path file = o.config_dir / (o.model + ".config.json");
      std::ifstream in(file);
      if (!in) throw Error(file.string() + ": cannot read the config");
      in >> config;
      if (o.layers > 0) truncate_layers(config, o.layers);
      // read_model_config takes a folder: the config alone, written into one.
      scratch = fs::temp_directory_path() / ("vltune-bench-train-" + std::to_string(::getpid()));
      fs::create_directories(scratch);
      std::ofstream(scratch / "config.json") << config.dump(1);
      dir = scratch;
    }

    std::vector<nlohmann::json> rows;
    for (const bool ckpt : {true, false}) {
      if ((ckpt && o.grad_ckpt == "off") || (!ckpt && o.grad_ckpt == "on")) continue;
      std::unique_ptr<lora::LoraModel> model;
      if (capped) train::set_device_memory_fraction(placement.device, 1.0);  // the build below is uncapped
      if (loaded) {
        stage("loading " + o.load.string());
        model = lora::open_model(o.load, placement, quant);
      } else {
        stage("building " + name + " with random weights");
        torch::manual_seed(0);
        const auto built0 = std::chrono::steady_clock::now();
        const auto seconds_since = [](std::chrono::steady_clock::time_point t) {
          return std::to_string(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
        };
        // Drawn in the bench's dtype on the device and quantised there.
        model = bench::random_model_on(dir, placement, bench::initializer_range(config));
        sync(placement.device);
        stage("weights drawn on " + placement.device.str() + " after " + seconds_since(built0) + " s");
        if (quant.bits != 0) {
          const auto q0 = std::chrono::steady_clock::now();
          lora::quantize_base_weights(*model, quant, placement.dtype);
          sync(placement.device);
          stage("quantised in " + seconds_since(q0) + " s");
        }
      }
      // The cap holds from the training on. The random weights are drawn in the bench's dtype on
      // the card and quantised there, which the app's loader never does (it quantises on the CPU
      // before the move): a 7B's 15 GB of bf16 draws would not fit a 10 GiB QLoRA cap.
      if (o.memory_fraction > 0) capped = train::set_device_memory_fraction(placement.device, o.memory_fraction);
      data::Batch batch = loaded ? saved_batch(o.load / "batch.safetensors", model->family()) : make_batch(config, model->family(), o);
      if (placement.device.is_cuda()) data::pin_device_inputs(batch);  // as the trainer's loader does
      const int64_t seq_len = batch.input_ids.size(1), rows_in_batch = batch.input_ids.size(0);

      lora::LoraAdapterParams adapter;
      adapter.r = o.rank;
      adapter.alpha = o.alpha;
      adapter.dropout = 0.0;
      torch::manual_seed(0);
      model->add_adapter("default", adapter, lora::parse_lora_target("q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"),
                         lora::FreezeParams{});
      model->set_gradient_checkpointing(ckpt);
      model->set_checkpoint_offload(ckpt && o.offload);
      // bench_hf.py's torch.autocast: the float32 LoRA matrices multiply in bf16, as the trainer does.
      if (placement.dtype != torch::kFloat32) model->set_adapter_compute_dtype(placement.dtype);
      model->set_loss_params(lora::ChunkedLossParams{o.chunk_rows});
      model->set_training(true);
      // The trainer's own optimizer and clipping, with torch.optim.AdamW's defaults as bench_hf.py
      // uses them (weight decay 0.01).
      train::OptimizerGroup group{"lora", {}, {}, 1e-4, 0.01};
      int64_t trainable = 0, total = 0;
      for (const auto& p : model->trainable_parameters()) {
        group.names.push_back(p.name);
        group.params.push_back(p.tensor);
        trainable += p.tensor.numel();
      }
      const std::vector<torch::Tensor> params = group.params;
      for (const auto& p : model->module().parameters()) total += p.numel();
      // PEFT counts lm_head tied to the embeddings once; here it is its own parameter sharing storage.
      if (config.value("tie_word_embeddings", false)) total -= model->module().named_parameters()["lm_head.weight"].numel();
      train::AdamW opt({group});

      train::reset_device_peak_memory(placement.device);
      std::vector<double> times;
      double first_loss = std::nan(""), last_loss = std::nan("");
      auto one_step = [&]() -> double {
        const train::BatchLoss l = model->loss(batch);
        const auto loss = l.loss_sum / static_cast<double>(l.tokens);
        loss.backward();
        train::clip_grad_norm_tensor(params, 1.0);  // read nothing back: the step's one read is the loss below
        opt.step();
        opt.zero_grad();
        return loss.item<double>();
      };
      for (int i = 0; i < o.warmup + o.steps; ++i) {
        sync(placement.device);
        const auto t0 = std::chrono::steady_clock::now();
        last_loss = one_step();
        sync(placement.device);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (i == 0) first_loss = last_loss;
        if (i >= o.warmup) times.push_back(s);
        stage("step " + std::to_string(i + 1) + ": " + std::to_string(s) + " s, loss " + std::to_string(last_loss));
      }
      // Whether the decoder's layers ran as replayed CUDA graphs (VLTUNE_TRAIN_GRAPHS=1).
      bool graphs = false;
      for (const auto& m : model->module().modules())
        if (const auto* d = dynamic_cast<const models::TextDecoderImpl*>(m.get())) graphs = graphs || d->graphs_replayed();
      const int64_t peak = train::device_peak_memory_bytes(placement.device);  // before any profiling
      const int64_t peak_reserved = train::device_peak_reserved_bytes(placement.device);
      const char* alloc_conf = std::getenv("PYTORCH_CUDA_ALLOC_CONF");
      // One more step with LibTorch's sync warnings on: how often it made the host wait for the
      // card (the loss read at its end is one).
      nlohmann::json syncs;
      try {
        const bench::SyncCount c = bench::count_syncs([&] { one_step(); });
        if (c.available) {
          syncs = {{"per_step", c.count}, {"first_sites", c.sites}};
          stage("synchronisations in one step: " + std::to_string(c.count));
        }
      } catch (const std::exception& e) {
        syncs = {{"error", e.what()}};
      }
      nlohmann::json profile;
      if (!o.profile.empty()) {
        constexpr int kProfiledSteps = 2;
        fs::create_directories(o.profile);
        const fs::path trace = o.profile / (name + (ckpt ? "-ckpt-on" : "-ckpt-off") + ".trace.json");
        try {
          bench::StepProfile profiler;
          sync(placement.device);
          profiler.start();
          const auto t0 = std::chrono::steady_clock::now();
          for (int i = 0; i < kProfiledSteps; ++i) one_step();
          sync(placement.device);
          const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          profile = profiler.stop(s, kProfiledSteps, o.trace ? trace.string() : std::string());
          stage("profile of " + name + (ckpt ? ", checkpointing on" : ", checkpointing off") + "\n" +
                bench::StepProfile::describe(profile));
        } catch (const std::exception& e) {
          // The timed figures stand without a profile.
          profile = {{"error", e.what()}};
          stage(std::string("profile failed: ") + e.what());
        }
      }
      std::sort(times.begin(), times.end());
      const double med = times[times.size() / 2];
      nlohmann::json r = {
          {"bench", "train_lora"},
          {"system", "vltune"},
          {"model", name},
          {"batch", rows_in_batch},
          {"seq_len", seq_len},
          {"grad_ckpt", ckpt},
          {"step_s", round_to(med, 4)},
          {"tokens_per_s", round_to(static_cast<double>(rows_in_batch * seq_len) / med, 1)},
          {"samples_per_s", round_to(static_cast<double>(rows_in_batch) / med, 2)},
          {"peak_mem_gib", peak < 0 ? nlohmann::json(nullptr) : nlohmann::json(round_to(static_cast<double>(peak) / (1 << 30), 2))},
          // Decimal GB too: the issues' "fits in 10 GB" is read strictly.
          {"peak_mem_gb", peak < 0 ? nlohmann::json(nullptr) : nlohmann::json(round_to(static_cast<double>(peak) / 1e9, 2))},
          {"peak_reserved_gib", peak_reserved < 0 ? nlohmann::json(nullptr) : nlohmann::json(round_to(static_cast<double>(peak_reserved) / (1 << 30), 2))},
          {"lora_rank", o.rank},
          {"train_graphs", graphs},
          {"compact_autograd", models::compact_autograd_enabled()},
          {"trainable", trainable},
          {"total", total},
          {"first_step_loss", first_loss},
          {"last_step_loss", last_loss},
          {"loss", last_loss},
          {"device", lora::to_string(placement)},
          {"steps", o.steps},
          {"warmup", o.warmup},
          {"chunk_rows", lora::chunk_rows_for(model->loss_params(), model->module().named_parameters()["lm_head.weight"].size(0))},
          {"cuda_alloc_conf", alloc_conf ? alloc_conf : ""},
          {"quant", o.quant},
          {"checkpoint_offload", ckpt && o.offload},
          {"weights", loaded ? "loaded: " + o.load.string() : std::string("random")},
          {"torch", describe(runtime_info())},
      };
      if (placement.device.is_cpu()) r["peak_mem_note"] = "CPU: the process's peak resident set, weights included";
      if (o.layers > 0) r["truncated_layers"] = o.layers;
      if (capped) r["memory_fraction"] = o.memory_fraction;
      if (!syncs.is_null()) r["syncs"] = syncs;
      if (!profile.is_null()) r["profile"] = profile;
      if (loaded) {
        r["hf_step0_loss"] = std::isnan(hf_step0) ? nlohmann::json(nullptr) : nlohmann::json(hf_step0);
        if (!std::isnan(hf_step0)) r["loss_diff_vs_hf"] = first_loss - hf_step0;
      }
      std::printf("%s\n", r.dump().c_str());
      std::fflush(stdout);
      rows.push_back(std::move(r));
    }
    if (!scratch.empty()) {
      std::error_code ec;
      fs::remove_all(scratch, ec);
    }
    if (!o.out.empty()) std::ofstream(o.out) << nlohmann::json(rows).dump(1) << "\n";
    if (placement.device.is_cuda()) {
      // Seen on an H200 with LibTorch 2.11: after CUDA training steps on random weights this
      // process crashed on its way out (a call through a null pointer on the main thread, after
      // the results; not with --load). Everything is written and flushed by now: leave without
      // the static destructors so scripts see the run's real status. Run G (bench/RESULTS.md)
      // still ended with SIGSEGV, so the crash comes before this; the crash report now names the
      // function that made the call.
      std::fflush(stdout);
      std::fflush(stderr);
      std::_Exit(0);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vltune-bench-train: %s\n", e.what());
    return 1;
  }
}
