// vltune-bench-kernels: the fused decoder kernels of core/kernels (RMSNorm, the residual add with
// the RMSNorm after it, silu(gate) * up, the rotary embedding) checked against the LibTorch
// operations they replace and timed, through the models' own modules (models::RMSNorm, GatedMlp,
// apply_rotary) with the kernels switched off and on. Shapes of Qwen2-VL-2B, Qwen2.5-VL-3B and 7B:
// one decode token and a 300-token prefill, in bfloat16 and float32. The rotary kernel, silu * up
// and the residual sum must be bit-identical to the operations; RMSNorm sums its squares in
// another order, so it may differ in the last bit of a few elements (reported: how many, and by
// how much). One JSON object per case; exit status 1 when a case fails, 2 when the build has no
// kernels or there is no CUDA device.
//   vltune-bench-kernels [--reps 200]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/kernels/fused_ops.h"
#include "core/models/blocks.h"
#include "core/runtime_info.h"

using namespace vltune;

namespace {

void sync() { torch::cuda::synchronize(); }

// Median microseconds of `reps` calls of f after five untimed ones.
template <typename F>
double median_us(int reps, F&& f) {
  for (int i = 0; i < 5; ++i) f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    sync();
    const auto t0 = std::chrono::steady_clock::now();
    f();
    sync();
    t.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

struct Outcome {
  nlohmann::json row;
  bool ok = true;
};

// Runs f with the kernels off (the reference) and on; compares and times both.
template <typename F>
Outcome compare(const std::string& op, const std::string& shape, torch::ScalarType dtype, bool must_be_equal, int reps, F&& f) {
  torch::NoGradGuard no_grad;
  kernels::set_fused_kernels_enabled(false);
  const torch::Tensor ref = f();
  const double ops_us = median_us(reps, f);
  kernels::set_fused_kernels_enabled(true);
  const torch::Tensor got = f();
  const double fused_us = median_us(reps, f);
  sync();
  const auto diff = (got.to(torch::kFloat64) - ref.to(torch::kFloat64)).abs();
  const int64_t differing = got.ne(ref).sum().item<int64_t>();
  const double max_diff = diff.max().item<double>();
  const double max_ref = ref.abs().max().item<double>();
  // At most one unit in the last place of the dtype, relative to the largest output.
  const double ulp = dtype == torch::kBFloat16 ? 1.0 / 128 : dtype == torch::kHalf ? 1.0 / 1024 : 1.0 / 8388608;
  const bool ok = must_be_equal ? differing == 0 : (max_diff <= ulp * max_ref && differing * 100 <= ref.numel());
  Outcome o;
  o.ok = ok && got.sizes() == ref.sizes();
  o.row = {{"op", op},
           {"shape", shape},
           {"dtype", std::string(c10::toString(dtype))},
           {"elements", ref.numel()},
           {"differing", differing},
           {"max_abs_diff", max_diff},
           {"max_abs_ref", max_ref},
           {"must_be_equal", must_be_equal},
           {"ok", o.ok},
           {"ops_us", ops_us},
           {"fused_us", fused_us}};
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    int reps = 200;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--reps" && i + 1 < argc) reps = std::max(1, std::stoi(argv[++i]));
      else throw Error("unknown argument " + a + " (vltune-bench-kernels [--reps N])");
    }
    if (!kernels::fused_kernels_built() || !torch::cuda::is_available()) {
      std::fprintf(stderr, "vltune-bench-kernels: %s\n",
                   kernels::fused_kernels_built() ? "no CUDA device" : "this build has no CUDA kernels");
      return 2;
    }
    const torch::Device dev(torch::kCUDA, 0);
    bool all_ok = true;
    auto report = [&](const Outcome& o) {
      all_ok = all_ok && o.ok;
      std::printf("%s\n", o.row.dump().c_str());
      std::fflush(stdout);
    };
    torch::manual_seed(0);
    // hidden, heads, kv heads, intermediate: Qwen2-VL-2B, Qwen2.5-VL-3B, Qwen2.5-VL-7B.
    struct Model {
      int64_t hidden, heads, kv_heads, intermediate;
    };
    for (const Model m : {Model{1536, 12, 2, 8960}, Model{2048, 16, 2, 11008}, Model{3584, 28, 4, 18944}}) {
      for (const auto dtype : {torch::kBFloat16, torch::kFloat32}) {
        const auto opts = torch::TensorOptions().device(dev).dtype(dtype);
        models::RMSNorm norm(models::RMSNormOptions(m.hidden).eps(1e-6));
        models::GatedMlp mlp(m.hidden, m.intermediate, "silu", false);
        {
          torch::NoGradGuard no_grad;
          norm->weight.normal_(1.0, 0.1);
          for (auto& p : mlp->parameters()) p.normal_(0.0, 0.02);
        }
        norm->to(dev, dtype);
        mlp->to(dev, dtype);
        const int64_t head_dim = 128;
        for (const int64_t tokens : {int64_t{1}, int64_t{300}}) {
          const std::string shape = "hidden " + std::to_string(m.hidden) + ", " + std::to_string(tokens) + " token(s)";
          const auto x = torch::randn({1, tokens, m.hidden}, opts) * 3.0;
          report(compare("rms_norm", shape, dtype, false, reps, [&] { return norm(x); }));
          // The residual add with the norm after it: the sum exact, the normed rows as RMSNorm's.
          const auto delta = torch::randn({1, tokens, m.hidden}, opts);
          report(compare("add_rms_norm sum", shape, dtype, true, reps, [&] { return norm->forward_after_add(x, delta).first; }));
          report(compare("add_rms_norm", shape, dtype, false, reps, [&] { return norm->forward_after_add(x, delta).second; }));
          report(compare("gated_mlp", shape, dtype, true, reps, [&] { return mlp(x); }));
          // q as the decoder makes it: [B, T, H * D] viewed [B, T, H, D], transposed to [B, H, T, D].
          const auto q = torch::randn({1, tokens, m.heads * head_dim}, opts).view({1, tokens, m.heads, head_dim}).transpose(1, 2);
          const auto angles = torch::randn({1, 1, tokens, head_dim}, opts.dtype(torch::kFloat32)) * 10.0;
          const auto cos = angles.cos().to(dtype), sin = angles.sin().to(dtype);
          report(compare("rotary q", shape + ", " + std::to_string(m.heads) + " heads", dtype, true, reps,
                         [&] { return models::apply_rotary(q, cos, sin); }));
        }
      }
    }
    std::fprintf(stderr, "vltune-bench-kernels: %s\n", all_ok ? "all cases pass" : "a case FAILED");
    return all_ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vltune-bench-kernels: %s\n", e.what());
    return 1;
  }
}
