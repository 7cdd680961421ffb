#include "core/cli/parity_command.h"

#include <cstdio>
#include <filesystem>

#include <torch/torch.h>

#include "core/error.h"
#include "core/models/weight_loader.h"
#include "core/io/aux_configs.h"
#include "core/io/hf_config.h"
#include "core/io/json_file.h"
#include "core/io/safetensors.h"
#include "core/models/qwen_vl.h"

namespace vltune::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kUsage =
    "usage: vltune-cli parity <fixture family folder> [--device cpu|cuda] [--dtype float32|bfloat16]\n"
    "  Runs the fixture's cases (reference.safetensors: input.*, batch.input.*) through the engine\n"
    "  and compares logits, losses and greedy generations with transformers' (float32), or with\n"
    "  the bf16 rule (logits within 2e-2 of max |ref|, same argmax where the reference's top-2\n"
    "  margin exceeds 0.05). Prints one line per check; exit 0 when all pass, 1 otherwise.\n"
    "  Families: qwen2_vl, qwen2_5_vl.\n";

struct Checker {
  bool bf16;
  int failures = 0;

  void report(bool ok, const std::string& line) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", line.c_str());
    if (!ok) ++failures;
  }

  void logits(const torch::Tensor& got_in, const torch::Tensor& ref, const torch::Tensor& mask, const std::string& what) {
    auto got = got_in.to(torch::kCPU).to(torch::kFloat32);
    if (got.sizes() != ref.sizes()) return report(false, what + ": shape differs");
    // Padding rows carry no meaning; compare where attention_mask is 1.
    auto keep = mask.to(torch::kBool).unsqueeze(-1).expand_as(ref);
    const double scale = std::max(1.0, ref.abs().max().item<double>());
    const double diff = (got - ref).abs().masked_select(keep).max().item<double>();
    const double allowed = (bf16 ? 2e-2 : 1e-4) * scale;
    char line[256];
    std::snprintf(line, sizeof line, "%s: max |diff| %.3g (allowed %.3g)", what.c_str(), diff, allowed);
    report(diff <= allowed, line);
    if (!bf16) return;
    auto top2 = std::get<0>(ref.topk(2, -1));
    auto decisive = ((top2.select(-1, 0) - top2.select(-1, 1)) > 0.05) & mask.to(torch::kBool);
    auto same = got.argmax(-1) == ref.argmax(-1);
    const int64_t wrong = (decisive & same.logical_not()).sum().item<int64_t>();
    report(wrong == 0, what + ": argmax differs at " + std::to_string(wrong) + " of " +
                           std::to_string(decisive.sum().item<int64_t>()) + " decisive positions");
  }

  void loss(double got, double ref, const std::string& what) {
    char line[256];
    const double allowed = bf16 ? 2e-2 * std::max(1.0, std::abs(ref)) : 1e-5;
    std::snprintf(line, sizeof line, "%s: %.7f vs reference %.7f", what.c_str(), got, ref);
    report(std::abs(got - ref) <= allowed, line);
  }
};

models::QwenVLInputs inputs(const io::SafetensorsFile& ref, const std::string& prefix, const torch::Device& device) {
  auto t = [&](const char* name) { return ref.tensor(prefix + name).clone().to(device); };
  return {t("input_ids"), t("attention_mask"), t("pixel_values"), t("image_grid_thw")};
}

}  // namespace

int run_parity(const std::vector<std::string>& args) {
  fs::path dir;
  std::string device_name = "cpu", dtype_name = "float32";
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if ((a == "--device" || a == "--dtype") && i + 1 < args.size()) {
      (a == "--device" ? device_name : dtype_name) = args[++i];
    } else if (!a.empty() && a[0] != '-' && dir.empty()) {
      dir = a;
    } else {
      std::fprintf(stderr, "vltune-cli parity: unexpected argument %s\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (dir.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (dtype_name != "float32" && dtype_name != "bfloat16") throw Error("--dtype must be float32 or bfloat16, not " + dtype_name);
  if (device_name == "cuda" && !torch::cuda::is_available()) throw Error("--device cuda: no CUDA device is available");
  const torch::Device device(device_name);
  const auto dtype = dtype_name == "bfloat16" ? torch::kBFloat16 : torch::kFloat32;

  const auto config = io::read_model_config(dir / "model");
  if (config.family() != io::ModelFamily::qwen2_vl && config.family() != io::ModelFamily::qwen2_5_vl)
    throw Error(dir.string() + ": parity checks cover qwen2_vl and qwen2_5_vl so far, not " + config.model_type);
  const io::Json reference = io::read_json_file(dir / "reference.json");
  const auto ref = io::SafetensorsFile::open(dir / "reference.safetensors");
  auto model = models::load_qwen_vl(dir / "model");
  models::place_module(*model, device, dtype);
  torch::NoGradGuard no_grad;
  Checker check{dtype == torch::kBFloat16};
  // cuDNN convolutions (the patch embedding) default to TF32 on Ampere and later: ~1e-3 relative
  // error, not float32. The reference's float32 ran without it.
  if (dtype == torch::kFloat32) at::globalContext().setAllowTF32CuDNN(false);
  std::printf("%s on %s in %s\n", dir.string().c_str(), device_name.c_str(), dtype_name.c_str());

  const auto main_in = inputs(ref, "input.", device);
  check.report(torch::equal(model->position_ids(main_in).cpu(), ref.tensor("base.position_ids")), "base.position_ids identical");
  const auto logits = model->forward(main_in);
  check.logits(logits, ref.tensor("base.logits"), ref.tensor("input.attention_mask"), "base.logits");
  check.loss(models::causal_lm_loss(logits, main_in.attention_mask.defined() ? ref.tensor("input.labels").to(device) : torch::Tensor())
                 .item<double>(),
             reference.at("base_loss").get<double>(), "base_loss");
  if (ref.contains("batch.input.input_ids")) {
    const auto batch_in = inputs(ref, "batch.input.", device);
    check.report(torch::equal(model->position_ids(batch_in).cpu(), ref.tensor("batch.position_ids")), "batch.position_ids identical");
    const auto batch_logits = model->forward(batch_in);
    check.logits(batch_logits, ref.tensor("batch.logits"), ref.tensor("batch.input.attention_mask"), "batch.logits");
    check.loss(models::causal_lm_loss(batch_logits, ref.tensor("batch.input.labels").to(device)).item<double>(),
               reference.at("batch_loss").get<double>(), "batch_loss");
  }
  if (!check.bf16) {
    const auto generation = io::read_generation_config(dir / "model" / "generation_config.json");
    const auto steps = static_cast<int64_t>(reference.at("base_generate_margins").size());
    const auto got = model->generate_greedy(main_in, steps, generation.eos_token_ids).cpu();
    check.report(torch::equal(got, ref.tensor("base.generate")), "base.generate identical");
  }
  std::printf("%d check(s) failed\n", check.failures);
  return check.failures == 0 ? 0 : 1;
}

}  // namespace vltune::cli
