// vltune-bench-quant: the NF4 dequantisation on a device, checked and timed. For each weight shape
// of a Qwen2-VL-2B decoder layer (and an odd one that ends in a partial block and a half byte),
// with and without double quantisation: quantise a random bf16 weight on the CPU, dequantise it
// there (LibTorch operations: the reference), move the quantised form to the device and
// dequantise it there to bf16 (the CUDA kernel of core/quant/cuda where this build has it) and
// through LibTorch operations (float32, then rounded), and require all three to be bit-identical.
// Then times both device paths (median of --reps after warm-up) and reports the bandwidth they
// reach counting bytes read (codes and scales) and written (bf16). One JSON object per case;
// exit status 1 when any case differs.
//   vltune-bench-quant [--device cuda] [--reps 50]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/quant/nf4.h"
#include "core/runtime_info.h"

using namespace vltune;

namespace {

void sync(const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize(d.index());
}

// Median seconds of `reps` calls of f after three untimed ones.
template <typename F>
double median_seconds(const torch::Device& d, int reps, F&& f) {
  for (int i = 0; i < 3; ++i) f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    sync(d);
    const auto t0 = std::chrono::steady_clock::now();
    f();
    sync(d);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string device_name = torch::cuda::is_available() ? "cuda" : "cpu";
    int reps = 50;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (i + 1 >= argc) throw Error(a + " needs a value");
      if (a == "--device") device_name = argv[++i];
      else if (a == "--reps") reps = std::max(1, std::stoi(argv[++i]));
      else throw Error("unknown option " + a);
    }
    const torch::Device device(device_name);
    const std::vector<std::pair<std::string, std::vector<int64_t>>> shapes = {
        {"q_proj/o_proj", {1536, 1536}}, {"k_proj/v_proj", {256, 1536}}, {"gate_proj/up_proj", {8960, 1536}},
        {"down_proj", {1536, 8960}},     {"odd", {999, 37}}};
    bool all_equal = true;
    for (const auto& [name, shape] : shapes) {
      for (const bool dq : {true, false}) {
        torch::manual_seed(0);
        const auto w = (torch::randn(shape) * 0.02).to(torch::kBFloat16);
        const quant::QuantizedWeight q = quant::quantize_nf4(w, 64, dq);
        const auto reference = quant::dequantize(q, torch::kBFloat16);  // CPU, LibTorch operations
        const quant::QuantizedWeight qd = q.to(device);
        const auto direct = quant::dequantize(qd, torch::kBFloat16);    // the kernel where built
        const auto via_ops = quant::dequantize(qd, torch::kFloat32).to(torch::kBFloat16);
        const bool equal_direct = torch::equal(direct.cpu(), reference);
        const bool equal_ops = torch::equal(via_ops.cpu(), reference);
        const double max_diff = (direct.cpu().to(torch::kFloat32) - reference.to(torch::kFloat32)).abs().max().item<double>();
        all_equal = all_equal && equal_direct && equal_ops;
        const double t_direct = median_seconds(device, reps, [&] { (void)quant::dequantize(qd, torch::kBFloat16); });
        const double t_ops =
            median_seconds(device, reps, [&] { (void)quant::dequantize(qd, torch::kFloat32).to(torch::kBFloat16); });
        const double bytes = static_cast<double>(q.bytes() + 2 * q.numel());
        const nlohmann::json r = {
            {"bench", "nf4_dequant"},
            {"weight", name},
            {"shape", shape},
            {"double_quant", dq},
            {"device", device.str()},
            {"cuda_kernel_built", quant::has_cuda_dequant_kernel()},
            {"equal_to_cpu", equal_direct},
            {"ops_equal_to_cpu", equal_ops},
            {"max_abs_diff", max_diff},
            {"direct_us", t_direct * 1e6},
            {"ops_us", t_ops * 1e6},
            {"direct_gb_per_s", bytes / t_direct / 1e9},
            {"ops_gb_per_s", bytes / t_ops / 1e9},
            {"torch", describe(runtime_info())},
        };
        std::printf("%s\n", r.dump().c_str());
        std::fflush(stdout);
      }
    }
    return all_equal ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vltune-bench-quant: %s\n", e.what());
    return 1;
  }
}
