#include "core/cli/predict_command.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stop_token>
#include <thread>

#include "core/cli/cli_numbers.h"
#include "core/data/dataset.h"
#include "core/data/sample_encoder.h"
#include "core/error.h"
#include "core/eval/predict_job.h"
#include "core/eval/predict_runner.h"
#include "core/gen/generation_params.h"
#include "core/lora/lora_factory.h"
#include "core/lora/lora_model.h"
#include "core/gen/chat_defaults.h"
#include "core/train/train_config.h"

namespace vltune::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPredictUsage =
    "usage: vltune-cli predict <config.yaml> [--device auto|cpu|cuda|cuda:N] [--max-samples N]\n"
    "                          [--skip-bad-rows]\n"
    "  Answers every eval_dataset sample and scores the answers (BLEU-4, ROUGE-1/2/L), as\n"
    "  LLaMA-Factory's `llamafactory-cli train` does with the same YAML (do_predict: true,\n"
    "  predict_with_generate: true). Writes generated_predictions.jsonl, predict_results.json and\n"
    "  all_results.json into output_dir; with do_eval: true also the eval loss and perplexity of\n"
    "  the same samples (eval_results.json). The model is model_name_or_path with the adapters of\n"
    "  adapter_name_or_path; generation takes do_sample, temperature, top_p, top_k, max_new_tokens,\n"
    "  repetition_penalty (LLaMA-Factory's defaults) and seed.\n"
    "  --max-samples N: at most N samples of each dataset (overrides max_samples).\n"
    "  Ctrl-C stops after the current sample; the files then cover the samples done.\n";

std::atomic<bool> g_predict_interrupted{false};

extern "C" void on_predict_interrupt(int) { g_predict_interrupted.store(true); }

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

std::string one_line(const std::string& text) {
  std::string out;
  for (char ch : text) out += ch == '\n' ? std::string("\\n") : std::string(1, ch);
  return out;
}

// What a predict run needs from the YAML, refused before any work with the key named.
void check_predict_config(const train::TrainConfig& c, const fs::path& file) {
  const std::string where = file.string() + ": ";
  if (!c.do_predict)
    throw Error(where + "do_predict: not true; `vltune-cli predict` runs a LLaMA-Factory predict config "
                        "(do_predict: true, predict_with_generate: true, eval_dataset)");
  if (!c.predict_with_generate)
    throw Error(where + "predict_with_generate: not true; predictions here are always generated, set it to true");
  if (c.model_name_or_path.empty()) throw Error(where + "model_name_or_path: not set");
  if (c.output_dir.empty()) throw Error(where + "output_dir: not set");
  if (c.eval_dataset.empty()) throw Error(where + "eval_dataset: not set (the dataset_info.json names to predict)");
  if (c.finetuning_type != train::FinetuningType::lora)
    throw Error(where + "finetuning_type: only lora adapters load here (got " + std::string(train::to_string(c.finetuning_type)) + ")");
  if (c.quantization_bit) throw Error(where + "quantization_bit: quantised models are not supported yet; remove the key");
}

// LLaMA-Factory's generation arguments over the model's generation_config.json (its kwargs win).
gen::GenerationParams generation_params(const train::TrainConfig& c, const data::SampleEncoder& encoder) {
  gen::GenerationParams p = gen::chat_generation_defaults(c.model_name_or_path, encoder);
  p.do_sample = c.do_sample;
  p.temperature = c.temperature;
  p.top_p = c.top_p;
  p.top_k = c.top_k;
  p.max_new_tokens = c.max_new_tokens;
  p.repetition_penalty = c.repetition_penalty;
  p.seed = static_cast<uint64_t>(c.seed);
  return p;
}

}  // namespace

int run_predict(const std::vector<std::string>& args) {
  fs::path config_path;
  bool skip_bad_rows = false;
  std::string device = "auto";
  std::optional<int64_t> max_samples;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kPredictUsage, stdout);
      return 0;
    } else if (a == "--skip-bad-rows") skip_bad_rows = true;
    else if (a == "--device" && i + 1 < args.size()) device = args[++i];
    else if (a == "--max-samples" && i + 1 < args.size()) {
      const std::string& v = args[++i];
      const int64_t n = whole_integer(v).value_or(-1);
      if (n < 1) {
        std::fprintf(stderr, "vltune-cli predict: --max-samples needs a positive count, not \"%s\"\n", v.c_str());
        return 2;
      }
      max_samples = n;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "vltune-cli predict: unknown option %s\n%s", a.c_str(), kPredictUsage);
      return 2;
    } else if (config_path.empty()) config_path = a;
    else {
      std::fprintf(stderr, "vltune-cli predict: one config only\n%s", kPredictUsage);
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fputs(kPredictUsage, stderr);
    return 2;
  }

  train::TrainConfig c;
  lora::ModelPlacement placement;
  try {
    train::ConfigReport report;
    c = train::load_train_config(config_path, &report);
    if (!report.ignored.empty())
      std::fprintf(stderr, "vltune: ignored (no meaning here): %s\n", join(report.ignored, ", ").c_str());
    for (const auto& w : report.warnings) std::fprintf(stderr, "vltune: warning: %s\n", w.c_str());
    check_predict_config(c, config_path);
    placement = lora::resolve_placement(device, c.fp16 ? "fp16" : (c.bf16 || c.pure_bf16) ? "bf16" : "fp32");
  } catch (const Error& e) {
    std::fprintf(stderr, "vltune-cli predict: %s\n", e.what());
    return 2;
  }
  if (max_samples) c.max_samples = max_samples;

  // The data: eval_dataset, validated with the model's own template and image arithmetic.
  eval::PredictDataParams data_params;
  data_params.model_dir = c.model_name_or_path;
  data_params.dataset_dir = c.dataset_dir;
  data_params.open.datasets = c.eval_dataset;
  data_params.open.media_dir = c.media_dir;
  data_params.encoder.template_name = c.template_name;
  data_params.encoder.supervised.cutoff_len = c.cutoff_len;
  data_params.encoder.supervised.train_on_prompt = c.train_on_prompt;
  data_params.encoder.supervised.mask_history = c.mask_history;
  data_params.encoder.supervised.image = {c.image_max_pixels, c.image_min_pixels};
  const eval::PredictData prepared = eval::open_predict_data(data_params);
  const data::Dataset& dataset = prepared.dataset;
  const data::SampleEncoder& encoder = *prepared.encoder;
  int64_t skipped = 0;
  std::vector<int64_t> samples;
  try {
    samples = eval::predict_samples(prepared, skip_bad_rows ? data::ProblemPolicy::skip : data::ProblemPolicy::stop,
                                    c.max_samples, &skipped);
  } catch (const FormatError& e) {
    std::fprintf(stderr, "vltune-cli predict: %s\n(`vltune-cli inspect %s` lists them all; --skip-bad-rows predicts without them)\n",
                 e.what(), c.dataset_dir.c_str());
    return 1;
  }
  std::fprintf(stderr, "vltune: %s, %zu rows, %lld skipped for problems, %zu to predict\n",
               std::string(data::format_name(dataset.format)).c_str(), dataset.records.size(),
               static_cast<long long>(skipped), samples.size());

  // The model with its adapters, all active (LLaMA-Factory merges them all for inference).
  std::vector<fs::path> adapters(c.adapter_name_or_path.begin(), c.adapter_name_or_path.end());
  std::unique_ptr<lora::LoraModel> model = eval::open_predict_model(c.model_name_or_path, adapters, placement);
  for (const auto& a : adapters) std::fprintf(stderr, "vltune: adapter %s\n", a.c_str());
  std::fprintf(stderr, "vltune: model on %s\n", lora::to_string(placement).c_str());

  eval::PredictParams params;
  params.generation = generation_params(c, encoder);
  params.output_dir = c.output_dir;
  params.compute_eval_loss = c.do_eval;
  params.eval_batch_size = c.per_device_eval_batch_size;

  // Ctrl-C: stop after the current sample, second Ctrl-C kills.
  std::stop_source stop;
  std::signal(SIGINT, on_predict_interrupt);
  std::jthread watcher([&](std::stop_token done) {
    while (!done.stop_requested()) {
      if (g_predict_interrupted.load()) {
        std::fputs("\nvltune: stopping after this sample (Ctrl-C again to kill)\n", stderr);
        stop.request_stop();
        std::signal(SIGINT, SIG_DFL);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  const auto on_progress = [](const eval::PredictProgress& p) {
    std::fprintf(stderr, "vltune: [%lld/%lld] %.1f s, record %lld: %s\n", static_cast<long long>(p.done),
                 static_cast<long long>(p.total), p.elapsed_seconds, static_cast<long long>(p.record),
                 one_line(p.prediction.predict).c_str());
  };
  const eval::PredictOutcome outcome =
      eval::run_predict(*model, encoder, dataset.records, samples, params, on_progress, stop.get_token());
  watcher.request_stop();

  std::printf("%s\n", eval::python_json_text(eval::predict_metrics(outcome.results)).c_str());
  if (outcome.eval) std::printf("%s\n", eval::python_json_text(eval::eval_metrics(*outcome.eval)).c_str());
  std::fprintf(stderr, "vltune: %s %lld of %zu samples -> %s\n", outcome.cancelled ? "stopped after" : "predicted",
               static_cast<long long>(outcome.results.samples), samples.size(), c.output_dir.c_str());
  return outcome.cancelled ? 130 : 0;
}

}  // namespace vltune::cli
