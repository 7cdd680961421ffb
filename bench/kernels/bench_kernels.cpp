// vltune-bench-kernels: the fused decoder kernels of core/kernels (RMSNorm, the residual add with
// the RMSNorm after it, silu(gate) * up, the rotary embedding, a decode step's attention and KV
// cache write) checked against the LibTorch operations they replace and timed, through the
// models' own code (models::RMSNorm, GatedMlp, apply_rotary, grouped_attention, KvCache) with the
// kernels switched off and on. Shapes of Qwen2-VL-2B, Qwen2.5-VL-3B and 7B (and SmolVLM's and
// LLaVA's heads for attention): one decode token and a 300-token prefill, in bfloat16 and float32.
// The rotary kernel, silu * up, the residual sum and the cache write must be bit-identical to the
// operations; RMSNorm sums its squares in another order, so it may differ in the last bit of some
// elements (reported: how many, and by how much); attention is measured against the exact result,
// as SDPA's is. One JSON object per case; exit status 1 when a case fails, 2 when the build has no
// kernels or there is no CUDA device.
//   vltune-bench-kernels [--reps 200]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/kernels/fused_ops.h"
#include "core/models/blocks.h"
#include "core/models/kv_cache.h"
#include "core/models/merged_products.h"
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

// One unit in the last place of a value just under 2, relative: the dtype's machine epsilon.
double ulp_of(torch::ScalarType dtype) {
  return dtype == torch::kBFloat16 ? 1.0 / 128 : dtype == torch::kHalf ? 1.0 / 1024 : 1.0 / 8388608;
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
  // At most one unit in the last place of the dtype, relative to the largest output, on at most 1%
  // of the elements. Float32 (opt-in, VLTUNE_FUSED_KERNELS=1) where another summation order shows
  // in the last bits of many elements: within four units, however many.
  const double ulp = ulp_of(dtype);
  const bool ok = must_be_equal                  ? differing == 0
                  : dtype == torch::kFloat32 ? max_diff <= 4 * ulp * max_ref
                                                 : (max_diff <= ulp * max_ref && differing * 100 <= ref.numel());
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

// A decode step's attention (models::grouped_attention): SDPA's (the kernels off) and the fused
// kernel's each against the exact result of the same inputs (float64). The kernel keeps its softmax
// in float32 as SDPA's kernels do but sums in its own order, so it can't be bit-identical: it must
// be as close to the exact result as SDPA's (within a quarter more), or within one unit in the
// last place of the largest output.
Outcome compare_attention(const std::string& shape, torch::ScalarType dtype, int reps, const torch::Tensor& q,
                          const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& mask) {
  torch::NoGradGuard no_grad;
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  const int64_t groups = q.size(1) / k.size(1);
  const auto f = [&] { return models::grouped_attention(q, k, v, mask, scale); };
  const auto k64 = k.to(torch::kFloat64).repeat_interleave(groups, 1), v64 = v.to(torch::kFloat64).repeat_interleave(groups, 1);
  const auto scores = torch::matmul(q.to(torch::kFloat64), k64.transpose(-2, -1)) * scale + mask.to(torch::kFloat64);
  const auto exact = torch::matmul(torch::softmax(scores, -1), v64);
  kernels::set_fused_kernels_enabled(false);
  const torch::Tensor ref = f();
  const double ops_us = median_us(reps, f);
  kernels::set_fused_kernels_enabled(true);
  const torch::Tensor got = f();
  const double fused_us = median_us(reps, f);
  sync();
  const double ref_err = (ref.to(torch::kFloat64) - exact).abs().max().item<double>();
  const double got_err = (got.to(torch::kFloat64) - exact).abs().max().item<double>();
  const double max_ref = exact.abs().max().item<double>();
  const int64_t differing = got.ne(ref).sum().item<int64_t>();
  Outcome o;
  o.ok = got.sizes() == ref.sizes() && (got_err <= 1.25 * ref_err || got_err <= ulp_of(dtype) * max_ref);
  o.row = {{"op", "decode_attention"},
           {"shape", shape},
           {"dtype", std::string(c10::toString(dtype))},
           {"elements", ref.numel()},
           {"differing", differing},
           {"max_abs_diff", (got.to(torch::kFloat64) - ref.to(torch::kFloat64)).abs().max().item<double>()},
           {"max_abs_ref", max_ref},
           {"ops_error", ref_err},
           {"fused_error", got_err},
           {"must_be_equal", false},
           {"ok", o.ok},
           {"ops_us", ops_us},
           {"fused_us", fused_us}};
  return o;
}

// A static decode step's KV cache write (models::KvCache::append): the cache after it, kernels off
// and on, must be bit-identical (the written token zeroed in between, so a write that didn't
// happen can't pass).
Outcome compare_cache_write(const std::string& shape, torch::ScalarType dtype, int reps, int64_t heads, int64_t kv_heads,
                            int64_t dim, int64_t written, int64_t capacity) {
  torch::NoGradGuard no_grad;
  const auto opts = torch::TensorOptions().device(torch::kCUDA).dtype(dtype);
  models::KvCache cache;
  cache.reserve(capacity);
  cache.append(0, torch::randn({1, kv_heads, capacity, dim}, opts).narrow(2, 0, written),
               torch::randn({1, kv_heads, capacity, dim}, opts).narrow(2, 0, written));
  cache.append(0, torch::randn({1, kv_heads, capacity - written, dim}, opts), torch::randn({1, kv_heads, capacity - written, dim}, opts));
  cache.begin_static(torch::full({1}, written, opts.dtype(torch::kLong)));
  // k and v as the decoder hands them: heads of one [B, 1, H + 2 KV, D] product, transposed.
  const auto step = torch::randn({1, 1, heads + 2 * kv_heads, dim}, opts).transpose(1, 2);
  const auto k = step.narrow(1, heads, kv_heads), v = step.narrow(1, heads + kv_heads, kv_heads);
  const auto f = [&] { return cache.append(0, k, v); };
  kernels::set_fused_kernels_enabled(false);
  const auto [k_buf, v_buf] = f();
  const auto ref = torch::cat({k_buf, v_buf}).clone();
  const double ops_us = median_us(reps, f);
  k_buf.narrow(2, written, 1).zero_();
  v_buf.narrow(2, written, 1).zero_();
  kernels::set_fused_kernels_enabled(true);
  const auto [k_got, v_got] = f();
  const auto got = torch::cat({k_got, v_got});
  const double fused_us = median_us(reps, f);
  sync();
  const int64_t differing = got.ne(ref).sum().item<int64_t>();
  Outcome o;
  o.ok = differing == 0 && got.sizes() == ref.sizes();
  o.row = {{"op", "kv_cache_write"},
           {"shape", shape},
           {"dtype", std::string(c10::toString(dtype))},
           {"elements", ref.numel()},
           {"differing", differing},
           {"max_abs_diff", (got.to(torch::kFloat64) - ref.to(torch::kFloat64)).abs().max().item<double>()},
           {"max_abs_ref", ref.abs().max().item<double>()},
           {"must_be_equal", true},
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
    // Attention of one decode query over a static cache (written keys, the rest masked as the
    // decoder masks them) and over a long context: heads, kv heads and head size of Qwen2-VL-2B,
    // Qwen2.5-VL-3B and 7B, SmolVLM-256M and LLaVA-1.5-7B.
    struct Heads {
      int64_t heads, kv_heads, dim;
    };
    for (const Heads m : {Heads{12, 2, 128}, Heads{16, 2, 128}, Heads{28, 4, 128}, Heads{9, 3, 64}, Heads{32, 32, 128}}) {
      for (const auto dtype : {torch::kBFloat16, torch::kFloat32}) {
        const auto opts = torch::TensorOptions().device(dev).dtype(dtype);
        for (const auto [written, capacity] : {std::pair<int64_t, int64_t>{300, 432}, std::pair<int64_t, int64_t>{2000, 2048}}) {
          // q as the decoder hands it: the first H heads of the rotated [B, H + KV, 1, D].
          const auto q = torch::randn({1, m.heads + m.kv_heads, 1, m.dim}, opts).narrow(1, 0, m.heads);
          auto k = torch::randn({1, m.kv_heads, capacity, m.dim}, opts), v = torch::randn({1, m.kv_heads, capacity, m.dim}, opts);
          k.narrow(2, written, capacity - written).zero_();
          v.narrow(2, written, capacity - written).zero_();
          auto mask = torch::zeros({1, 1, 1, capacity}, opts);
          mask.narrow(3, written, capacity - written).fill_(models::mask_lowest(dtype));
          const std::string shape = std::to_string(m.heads) + "/" + std::to_string(m.kv_heads) + " heads of " +
                                    std::to_string(m.dim) + ", " + std::to_string(written) + " of " + std::to_string(capacity) + " keys";
          report(compare_attention(shape, dtype, reps, q, k, v, mask));
          report(compare_cache_write(shape, dtype, reps, m.heads, m.kv_heads, m.dim, written, capacity));
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
