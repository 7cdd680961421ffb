#include "core/cli/train_command.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <stop_token>
#include <thread>

#include "core/cli/cli_numbers.h"
#include "core/data/image_cache.h"
#include "core/error.h"
#include "core/lora/lora_factory.h"
#include "core/lora/merge_export.h"
#include "core/lora/pinned_samples.h"
#include "core/train/train_config.h"
#include "core/train/trainer.h"
#include "core/train/training_job.h"

namespace vltune::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTrainUsage =
    "usage: vltune-cli train <config.yaml> [--skip-bad-rows] [--device auto|cpu|cuda|cuda:N]\n"
    "                        [--pinned-samples N | --pin FILE:ROW [--pin-question TEXT] ...]\n"
    "                        [--pinned-every STEPS] [--image-cache DIR | --no-image-cache]\n"
    "                        [--image-cache-max GIB]\n"
    "  Trains a LoRA adapter as LLaMA-Factory's `llamafactory-cli train` does with the same YAML\n"
    "  (stage sft, finetuning_type lora). Paths in the YAML are relative to the current folder.\n"
    "  Every dataset row is validated first; rows with problems stop the run and are listed,\n"
    "  unless --skip-bad-rows (then they are left out and counted).\n"
    "  Ctrl-C stops after the current step and writes a checkpoint; run again to resume.\n"
    "  --device: where to train (auto: the first CUDA device when there is one, else the CPU).\n"
    "  bf16 / fp16 in the YAML load the base weights in that dtype; LoRA weights and the optimizer\n"
    "  stay float32. fp16 needs CUDA.\n"
    "  --pinned-samples N: answer the first N validation samples before training and every\n"
    "  --pinned-every steps (default: eval_steps, else logging_steps), printed and appended to\n"
    "  output_dir/pinned_samples.jsonl, to watch the answers change.\n"
    "  --pin FILE:ROW: pin that dataset row instead (FILE relative to the dataset folder, ROW 0-based;\n"
    "  up to 4); --pin-question TEXT asks the pin before it TEXT instead of its own question.\n"
    "  --image-cache DIR: where images resized to the model's resolution are kept for later epochs\n"
    "  and runs (default $XDG_CACHE_HOME/vltune/images or ~/.cache/vltune/images; up to 20 GiB,\n"
    "  the least recently used removed first, never one the run has used). Only images the model\n"
    "  shrinks to at most half their pixels or enlarges to at least twice are kept.\n"
    "  overwrite_cache: true in the YAML rebuilds the entries the run uses.\n"
    "  --image-cache-max GIB: the cache folder's size cap instead of 20 (0: no cap).\n"
    "  `vltune-cli image-cache` says how much the cache holds and empties it.\n";

constexpr const char* kExportUsage =
    "usage: vltune-cli export --model DIR --adapter DIR --out DIR [--dtype float32|bfloat16|float16]\n"
    "                         [--max-shard-size BYTES]\n"
    "  Merges a PEFT LoRA adapter into its base model and writes a Hugging Face checkpoint\n"
    "  (config, sharded safetensors with index, tokenizer and processor files).\n";

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted.store(true); }

std::string hms(double seconds) {
  const auto s = static_cast<long long>(seconds < 0 ? 0 : seconds);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

}  // namespace

int run_train(const std::vector<std::string>& args) {
  fs::path config_path;
  bool skip_bad_rows = false;
  std::string device = "auto";
  int64_t pinned_count = 0, pinned_every = 0;
  std::vector<train::PinnedChoice> pins;
  fs::path image_cache = data::default_image_cache_dir();
  int64_t image_cache_max = train::JobOptions{}.image_cache_max_bytes;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kTrainUsage, stdout);
      return 0;
    } else if (a == "--skip-bad-rows") skip_bad_rows = true;
    else if (a == "--device" && i + 1 < args.size()) device = args[++i];
    else if (a == "--image-cache" && i + 1 < args.size()) image_cache = args[++i];
    else if (a == "--no-image-cache") image_cache.clear();
    else if (a == "--image-cache-max" && i + 1 < args.size()) {
      const std::string& v = args[++i];
      const double gib = whole_double(v).value_or(-1);
      if (!(gib >= 0 && gib < 1e6)) {
        std::fprintf(stderr, "vltune-cli train: --image-cache-max needs a size in GiB (0: no cap), not \"%s\"\n", v.c_str());
        return 2;
      }
      image_cache_max = static_cast<int64_t>(gib * (1 << 30));
    }
    else if (a == "--pin" && i + 1 < args.size()) {
      const std::string& v = args[++i];
      const size_t colon = v.rfind(':');
      train::PinnedChoice pin;
      bool ok = colon != std::string::npos && colon > 0 && colon + 1 < v.size();
      if (ok) {
        pin.file = v.substr(0, colon);
        const std::string row = v.substr(colon + 1);
        ok = row.find_first_not_of("0123456789") == std::string::npos && row.size() < 18;
        if (ok) pin.row = std::stoll(row);
      }
      if (!ok) {
        std::fprintf(stderr, "vltune-cli train: --pin needs FILE:ROW (e.g. data.json:3), not \"%s\"\n", v.c_str());
        return 2;
      }
      pins.push_back(pin);
    } else if (a == "--pin-question" && i + 1 < args.size()) {
      if (pins.empty()) {
        std::fputs("vltune-cli train: --pin-question comes after the --pin it asks\n", stderr);
        return 2;
      }
      pins.back().question = args[++i];
    }
    else if ((a == "--pinned-samples" || a == "--pinned-every") && i + 1 < args.size()) {
      const std::string& v = args[++i];
      const int64_t n = whole_integer(v).value_or(-1);
      if (n < 0) {
        std::fprintf(stderr, "vltune-cli train: %s needs a count, not \"%s\"\n", a.c_str(), v.c_str());
        return 2;
      }
      (a == "--pinned-samples" ? pinned_count : pinned_every) = n;
    }
    else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "vltune-cli train: unknown option %s\n%s", a.c_str(), kTrainUsage);
      return 2;
    } else if (config_path.empty()) config_path = a;
    else {
      std::fprintf(stderr, "vltune-cli train: one config only\n%s", kTrainUsage);
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fputs(kTrainUsage, stderr);
    return 2;
  }

  train::TrainConfig c;
  try {
    train::ConfigReport report;
    c = train::load_train_config(config_path, &report);
    if (!report.ignored.empty())
      std::fprintf(stderr, "vltune: ignored (no meaning here): %s\n", join(report.ignored, ", ").c_str());
    for (const auto& w : report.warnings) std::fprintf(stderr, "vltune: warning: %s\n", w.c_str());
    if (c.do_predict) std::fputs("vltune: warning: do_predict is ignored here (no predictions after training); run `vltune-cli predict`\n", stderr);
    train::check_trainable(c);
    lora::resolve_placement(device, c.fp16 ? "fp16" : (c.bf16 || c.pure_bf16) ? "bf16" : "fp32");
  } catch (const Error& e) {
    std::fprintf(stderr, "vltune-cli train: %s\n", e.what());
    return 2;
  }

  // Ctrl-C: stop after the current step (a checkpoint is written), second Ctrl-C kills.
  std::stop_source stop;
  std::signal(SIGINT, on_interrupt);
  std::jthread watcher([&](std::stop_token done) {
    while (!done.stop_requested()) {
      if (g_interrupted.load()) {
        std::fputs("\nvltune: stopping after this step (Ctrl-C again to kill)\n", stderr);
        stop.request_stop();
        std::signal(SIGINT, SIG_DFL);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  train::JobOptions options;
  options.device = device;
  options.skip_bad_rows = skip_bad_rows;
  options.pinned_samples = pinned_count;
  options.pinned_every = pinned_every;
  options.pinned = pins;
  options.image_cache = image_cache;
  options.image_cache_max_bytes = image_cache_max;
  train::JobCallbacks callbacks;
  // The progress bar rewrites one line ("\r"); whatever prints next ends it first.
  bool bar_open = false;
  const auto end_bar = [&bar_open] {
    if (bar_open) std::fputc('\n', stderr);
    bar_open = false;
  };
  callbacks.on_message = [&end_bar](const std::string& line) {
    end_bar();
    std::fprintf(stderr, "vltune: %s\n", line.c_str());
  };
  callbacks.on_progress = [&bar_open](const train::TrainProgress& p) {
    bar_open = true;
    constexpr int kWidth = 24;
    const double done = p.total_steps > 0 ? static_cast<double>(p.step) / static_cast<double>(p.total_steps) : 0;
    std::string bar(static_cast<size_t>(done * kWidth), '#');
    bar.resize(kWidth, '.');
    const std::string memory =
        p.memory_bytes >= 0 ? "  " + std::to_string(static_cast<double>(p.memory_bytes) / (1 << 30)).substr(0, 4) + " GiB" : "";
    std::fprintf(stderr, "\r[%s] %lld/%lld  loss %.4f  lr %.2e  %.0f tok/s%s  %s elapsed, ETA %s ", bar.c_str(),
                 static_cast<long long>(p.step), static_cast<long long>(p.total_steps), p.loss, p.learning_rate,
                 p.tokens_per_second, memory.c_str(), hms(p.elapsed_seconds).c_str(), hms(p.eta_seconds).c_str());
    std::fflush(stderr);
  };
  callbacks.on_log = [&end_bar](const train::LogRecord& r) {  // DPO's reward margin and accuracy, one line per log
    std::string line;
    for (const auto& [key, value] : r.metrics) {
      if (!key.ends_with("rewards/margins") && !key.ends_with("rewards/accuracies")) continue;
      char number[32];
      std::snprintf(number, sizeof number, "%.4f", value);
      line += (line.empty() ? "" : ", ") + key + " " + number;
    }
    if (line.empty()) return;
    end_bar();
    std::fprintf(stderr, "vltune: step %lld: %s\n", static_cast<long long>(r.current_steps), line.c_str());
  };
  callbacks.on_pinned = [&end_bar](const lora::PinnedRound& round) {
    end_bar();
    for (const auto& a : round.answers) {
      std::string shown;  // one line per sample
      for (char ch : a.answer) shown += ch == '\n' ? std::string("\\n") : std::string(1, ch);
      std::fprintf(stderr, "vltune: step %lld, sample %lld: %s\n", static_cast<long long>(round.step),
                   static_cast<long long>(a.record), shown.c_str());
    }
  };
  train::TrainResult result;
  try {
    result = train::run_training_job(c, options, callbacks, stop.get_token());
  } catch (const train::DatasetProblemsError& e) {
    watcher.request_stop();
    std::fprintf(stderr, "vltune-cli train: %s\n(`vltune-cli inspect %s` lists them all; --skip-bad-rows trains without them)\n",
                 e.what(), c.dataset_dir.c_str());
    return 1;
  } catch (...) {
    end_bar();  // the error is printed on a line of its own
    throw;
  }
  watcher.request_stop();
  // train loss: the run's mean (HF's train_loss), as the app's status bar says; the last evaluation's
  // loss to as many digits.
  char eval_loss[48] = "";
  if (result.eval_loss) std::snprintf(eval_loss, sizeof eval_loss, ", eval loss %.4f", *result.eval_loss);
  end_bar();
  std::fprintf(stderr, "vltune: %s at step %lld of %lld, mean train loss %.4f%s; adapter in %s\n",
               result.outcome == train::TrainOutcome::finished        ? "finished"
               : result.outcome == train::TrainOutcome::early_stopped ? "stopped early"
                                                                      : "stopped",
               static_cast<long long>(result.global_step), static_cast<long long>(result.total_steps), result.train_loss,
               eval_loss, c.output_dir.c_str());
  return result.outcome == train::TrainOutcome::stopped ? 130 : 0;
}

int run_export(const std::vector<std::string>& args) {
  fs::path model_dir, adapter_dir, out_dir;
  lora::ExportParams params;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw Error(a + " needs a value");
      return args[++i];
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kExportUsage, stdout);
      return 0;
    } else if (a == "--model") model_dir = value();
    else if (a == "--adapter") adapter_dir = value();
    else if (a == "--out") out_dir = value();
    else if (a == "--dtype") params.dtype = value();
    else if (a == "--max-shard-size") params.max_shard_bytes = std::stoull(value());
    else {
      std::fprintf(stderr, "vltune-cli export: unknown argument %s\n%s", a.c_str(), kExportUsage);
      return 2;
    }
  }
  if (model_dir.empty() || adapter_dir.empty() || out_dir.empty()) {
    std::fputs(kExportUsage, stderr);
    return 2;
  }
  const std::unique_ptr<lora::LoraModel> model = lora::open_model(model_dir);
  model->load_adapter(adapter_dir);
  lora::export_merged(*model, out_dir, params);
  std::fprintf(stderr, "vltune: merged %s into %s -> %s\n", adapter_dir.c_str(), model_dir.c_str(), out_dir.c_str());
  return 0;
}

}  // namespace vltune::cli
