// vltune-bench-kernels: the fused decoder kernels of core/kernels (RMSNorm, the residual add with
// the RMSNorm after it, silu(gate) * up, the rotary embedding, a decode step's attention and KV
// cache write) checked against the LibTorch operations they replace and timed, through the
// models' own code (models::RMSNorm, GatedMlp, apply_rotary, grouped_attention, KvCache) with the
// kernels switched off and on. Shapes of Qwen2-VL-2B, Qwen2.5-VL-3B and 7B (and SmolVLM's and
// LLaVA's heads for attention): one decode token and a 300-token prefill, in bfloat16 and float32
// (attention in float16 too, and in a batch of two). Then the decode GEMV kernel for a decode step's
// linear layers (opt-in, core/kernels/decode_linear.h) against cuBLAS's products, timed as the
// layers read their weights: from memory.
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
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/torch.h>

#if defined(VLTUNE_WITH_CUDA)
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include "core/error.h"
#include "core/kernels/decode_linear.h"
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

// What one case ran: the result with the kernels off (the reference) and on, and each way's time.
struct OffAndOn {
  torch::Tensor ref, got;
  double ops_us = 0, fused_us = 0;
};

// run() with the kernels off, then on, each once for its result (read(run()), copied) and then
// timed; between() in between (to undo what the first way wrote, so the second must write it).
template <typename Run, typename Read, typename Between>
OffAndOn off_and_on(int reps, Run&& run, Read&& read, Between&& between) {
  torch::NoGradGuard no_grad;
  OffAndOn r;
  kernels::set_fused_kernels_enabled(false);
  r.ref = read(run()).clone();
  r.ops_us = median_us(reps, run);
  between();
  kernels::set_fused_kernels_enabled(true);
  r.got = read(run()).clone();
  r.fused_us = median_us(reps, run);
  sync();
  return r;
}

template <typename Run>
OffAndOn off_and_on(int reps, Run&& run) {
  return off_and_on(reps, run, [](const torch::Tensor& t) { return t; }, [] {});
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

// How the kernels' result differs from the operations': elements not equal, the largest gap.
struct Diff {
  int64_t differing = 0;
  double max_abs = 0;
};
Diff diff_of(const OffAndOn& r) { return {r.got.ne(r.ref).sum().item<int64_t>(), max_abs_diff(r.got, r.ref)}; }

// The fields every case reports; ok also wants the shapes equal.
Outcome outcome(const std::string& op, const std::string& shape, torch::ScalarType dtype, const OffAndOn& r, const Diff& diff,
                double max_ref, bool must_be_equal, bool ok) {
  Outcome o;
  o.ok = ok && r.got.sizes() == r.ref.sizes();
  o.row = {{"op", op},
           {"shape", shape},
           {"dtype", std::string(c10::toString(dtype))},
           {"elements", r.ref.numel()},
           {"differing", diff.differing},
           {"max_abs_diff", diff.max_abs},
           {"max_abs_ref", max_ref},
           {"must_be_equal", must_be_equal},
           {"ok", o.ok},
           {"ops_us", r.ops_us},
           {"fused_us", r.fused_us}};
  return o;
}

// f with the kernels off (the reference) and on: compared and timed.
template <typename F>
Outcome compare(const std::string& op, const std::string& shape, torch::ScalarType dtype, bool must_be_equal, int reps, F&& f) {
  const OffAndOn r = off_and_on(reps, f);
  const Diff diff = diff_of(r);
  const double max_ref = r.ref.abs().max().item<double>();
  // At most one unit in the last place of the dtype, relative to the largest output, on at most 1%
  // of the elements. Float32 (opt-in, VLTUNE_FUSED_KERNELS=1) where another summation order shows
  // in the last bits of many elements: within four units, however many.
  const double ulp = ulp_of(dtype);
  const bool ok = must_be_equal                  ? diff.differing == 0
                  : dtype == torch::kFloat32 ? diff.max_abs <= 4 * ulp * max_ref
                                                 : (diff.max_abs <= ulp * max_ref && diff.differing * 100 <= r.ref.numel());
  return outcome(op, shape, dtype, r, diff, max_ref, must_be_equal, ok);
}

// A case whose kernel sums in its own order, so it can't be bit-identical to the operations: both
// results against the exact one of the same inputs (float64), the kernel's at most `allowed` times
// as far from it as the operations', or within one unit in the last place of the largest output.
Outcome against_exact(const std::string& op, const std::string& shape, torch::ScalarType dtype, const OffAndOn& r,
                      const torch::Tensor& exact, double allowed) {
  const double ref_err = max_abs_diff(r.ref, exact), got_err = max_abs_diff(r.got, exact);
  const double max_ref = exact.abs().max().item<double>();
  Outcome o = outcome(op, shape, dtype, r, diff_of(r), max_ref, false,
                      got_err <= allowed * ref_err || got_err <= ulp_of(dtype) * max_ref);
  o.row["ops_error"] = ref_err;
  o.row["fused_error"] = got_err;
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
  const auto k64 = k.to(torch::kFloat64).repeat_interleave(groups, 1), v64 = v.to(torch::kFloat64).repeat_interleave(groups, 1);
  const auto scores = torch::matmul(q.to(torch::kFloat64), k64.transpose(-2, -1)) * scale + mask.to(torch::kFloat64);
  const auto exact = torch::matmul(torch::softmax(scores, -1), v64);
  const OffAndOn r = off_and_on(reps, [&] { return models::grouped_attention(q, k, v, mask, scale); });
  return against_exact("decode_attention", shape, dtype, r, exact, 1.25);
}

// A static decode step's KV cache write (models::KvCache::append): the cache after it, kernels off
// and on, must be bit-identical (the written token zeroed in between, so a write that didn't
// happen can't pass). Timed: the append alone.
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
  const OffAndOn r = off_and_on(
      reps, [&] { return cache.append(0, k, v); },
      [](const std::pair<torch::Tensor, torch::Tensor>& kv) { return torch::cat({kv.first, kv.second}); },
      [&] {
        cache.keys(0).narrow(2, written, 1).zero_();
        cache.values(0).narrow(2, written, 1).zero_();
      });
  const Diff diff = diff_of(r);
  return outcome("kv_cache_write", shape, dtype, r, diff, r.ref.abs().max().item<double>(), true, diff.differing == 0);
}

// Microseconds of GPU time one call of f(i) takes with i cycling over `copies` weights, each call
// reading its weight from memory rather than from the L2 cache, as a decode step's layers do. The
// calls are captured into a CUDA graph and replayed (the median of several replays), so the host's
// launching, slower than these kernels, doesn't count: the decoder replays them so too.
template <typename F>
double replayed_us(int reps, int copies, F&& f) {
#if defined(VLTUNE_WITH_CUDA)
  const auto stream = c10::cuda::getStreamFromPool();
  c10::cuda::CUDAStreamGuard on_stream(stream);
  for (int i = 0; i < copies; ++i) f(i);  // warm-up on this stream (cuBLAS's handle and workspace)
  stream.synchronize();
  at::cuda::CUDAGraph graph;
  graph.capture_begin();
  for (int i = 0; i < copies; ++i) f(i);
  graph.capture_end();
  graph.replay();
  sync();
  std::vector<double> t;
  for (int round = 0; round < std::max(reps / 10, 5); ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    graph.replay();
    sync();
    t.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / copies);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
#else
  (void)reps, (void)copies, (void)f;
  throw Error("vltune-bench-kernels: built without CUDA");
#endif
}

// A decode step's linear layer, `rows` sequences of one token: cuBLAS's product (what
// torch::nn::functional::linear runs) and the decode GEMV kernel's (kernels::fused_decode_linear),
// each against the exact result of the same inputs (float64). Both sum in float32 in their own
// order: the kernel must be as close to the exact result as cuBLAS (within a quarter more; float32:
// twice), or within one unit in the last place of the largest output. Timed as a replayed CUDA
// graph over enough weight copies that each call reads its own from memory (256 MiB of them), with
// the bytes a second that makes; the kernel also with 1, 2, 4 and 8 warps an output feature.
Outcome compare_decode_linear(const std::string& name, torch::ScalarType dtype, int reps, int64_t rows, int64_t in,
                              int64_t out, bool with_bias) {
  torch::NoGradGuard no_grad;
  const auto opts = torch::TensorOptions().device(torch::kCUDA).dtype(dtype);
  const int64_t bytes = in * out * static_cast<int64_t>(c10::elementSize(dtype));
  const int copies = static_cast<int>(std::clamp<int64_t>((int64_t{256} << 20) / bytes + 1, 1, 64));
  std::vector<torch::Tensor> weights;
  for (int i = 0; i < copies; ++i) weights.push_back(torch::randn({out, in}, opts) * 0.02);
  const auto x = torch::randn({rows, 1, in}, opts);
  const auto bias = with_bias ? torch::randn({out}, opts) * 0.1 : torch::Tensor();
  const auto exact = torch::nn::functional::linear(x.to(torch::kFloat64), weights[0].to(torch::kFloat64),
                                                   with_bias ? bias.to(torch::kFloat64) : torch::Tensor());
  const auto cublas = [&](int i) { return torch::nn::functional::linear(x, weights[i], bias); };
  const auto kernel = [&](int i, int warps) { return kernels::fused_decode_linear(x, weights[i], bias, warps); };
  OffAndOn r;
  r.ref = cublas(0);
  r.got = kernel(0, 0);
  r.ops_us = replayed_us(reps, copies, cublas);
  r.fused_us = replayed_us(reps, copies, [&](int i) { return kernel(i, 0); });
  const std::string shape = name + ": " + std::to_string(rows) + " x " + std::to_string(in) + " -> " + std::to_string(out) +
                            (with_bias ? " + bias" : "");
  // In float32 the sums' own rounding, not the output's, is the error: two orders may differ by twice.
  Outcome o = against_exact("decode_linear", shape, dtype, r, exact, dtype == torch::kFloat32 ? 2.0 : 1.25);
  o.row["weight_copies"] = copies;
  o.row["ops_GBps"] = static_cast<double>(bytes) / r.ops_us / 1e3;
  o.row["fused_GBps"] = static_cast<double>(bytes) / r.fused_us / 1e3;
  nlohmann::json by_warps;
  for (const int warps : {1, 2, 4, 8})
    by_warps[std::to_string(warps)] = replayed_us(reps, copies, [&](int i) { return kernel(i, warps); });
  o.row["fused_us_by_warps"] = by_warps;
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
    // The decode GEMV kernel (opt-in) stays out of the cases that compare other kernels with the
    // operations: their products run cuBLAS's either way.
    kernels::set_decode_gemv_enabled(false);
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
        for (const auto& [written, capacity] : {std::pair<int64_t, int64_t>{300, 432}, std::pair<int64_t, int64_t>{2000, 2048}}) {
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
    // The 2B's heads once more: keys that fit one chunk (a short prompt: no combine kernel), and a
    // batch of two whose second row is left-padded (each row its own mask), in bfloat16 and float16.
    for (const auto dtype : {torch::kBFloat16, torch::kHalf}) {
      const auto opts = torch::TensorOptions().device(dev).dtype(dtype);
      const int64_t heads = 12, kv_heads = 2, dim = 128, padded = 20;
      using Case = std::tuple<int64_t, int64_t, int64_t>;  // batch, keys written, capacity
      for (const auto& [batch, written, capacity] : {Case{1, 100, 112}, Case{2, 300, 432}}) {
        const auto q = torch::randn({batch, heads + kv_heads, 1, dim}, opts).narrow(1, 0, heads);
        auto k = torch::randn({batch, kv_heads, capacity, dim}, opts), v = torch::randn({batch, kv_heads, capacity, dim}, opts);
        k.narrow(2, written, capacity - written).zero_();
        v.narrow(2, written, capacity - written).zero_();
        auto mask = torch::zeros({batch, 1, 1, capacity}, opts);
        mask.narrow(3, written, capacity - written).fill_(models::mask_lowest(dtype));
        if (batch > 1) mask[1].narrow(-1, 0, padded).fill_(models::mask_lowest(dtype));
        const std::string shape = "12/2 heads of 128, batch " + std::to_string(batch) + (batch > 1 ? " (one padded)" : "") +
                                  ", " + std::to_string(written) + " of " + std::to_string(capacity) + " keys";
        report(compare_attention(shape, dtype, reps, q, k, v, mask));
      }
    }
    // A decode step's linear layers through the GEMV kernel: q/k/v (with bias), o, gate/up and down
    // of Qwen2-VL-2B, Qwen2.5-VL-3B and 7B and SmolVLM-256M, for one sequence and two, in bfloat16;
    // the 2B's also in float16 and float32, and its lm_head.
    kernels::set_fused_kernels_enabled(true);  // float32 included
    kernels::set_decode_gemv_enabled(true);
    struct Layers {
      const char* name;
      int64_t hidden, heads, kv_heads, intermediate;
    };
    for (const Layers m : {Layers{"2B", 1536, 12, 2, 8960}, Layers{"3B", 2048, 16, 2, 11008}, Layers{"7B", 3584, 28, 4, 18944},
                           Layers{"SmolVLM", 576, 9, 3, 1536}}) {
      const int64_t head_dim = m.hidden / m.heads;
      const bool two_b = std::string(m.name) == "2B";
      for (const auto dtype : {torch::kBFloat16, torch::kHalf, torch::kFloat32}) {
        if (dtype != torch::kBFloat16 && !two_b) continue;
        for (const int64_t rows : {int64_t{1}, int64_t{2}}) {
          if (rows > 1 && dtype != torch::kBFloat16) continue;
          const std::string model = m.name;
          report(compare_decode_linear(model + " q/k/v", dtype, reps, rows, m.hidden, (m.heads + 2 * m.kv_heads) * head_dim, true));
          report(compare_decode_linear(model + " o", dtype, reps, rows, m.hidden, m.hidden, false));
          report(compare_decode_linear(model + " gate/up", dtype, reps, rows, m.hidden, 2 * m.intermediate, false));
          report(compare_decode_linear(model + " down", dtype, reps, rows, m.intermediate, m.hidden, false));
          if (two_b && dtype == torch::kBFloat16) report(compare_decode_linear(model + " lm_head", dtype, reps, rows, m.hidden, 151936, false));
        }
      }
    }
    kernels::set_decode_gemv_enabled(false);
    std::fprintf(stderr, "vltune-bench-kernels: %s\n", all_ok ? "all cases pass" : "a case FAILED");
    return all_ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vltune-bench-kernels: %s\n", e.what());
    return 1;
  }
}
