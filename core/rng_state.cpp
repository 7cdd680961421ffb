#include "core/rng_state.h"

#include <mutex>
#include <string>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <torch/cuda.h>

#include "core/error.h"

namespace vltune {

namespace {

at::Tensor state_of(const at::Generator& gen) {
  at::Generator g = gen;  // a handle; the lock guards the generator it points to
  std::lock_guard<std::mutex> lock(g.mutex());
  return g.get_state();
}

void set_state_of(const at::Generator& gen, const at::Tensor& state) {
  at::Generator g = gen;
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(state);
}

int64_t cuda_devices() { return torch::cuda::is_available() ? static_cast<int64_t>(torch::cuda::device_count()) : 0; }

}  // namespace

RngState capture_rng_state() {
  RngState out;
  out.cpu = state_of(at::detail::getDefaultCPUGenerator());
  for (int64_t i = 0; i < cuda_devices(); ++i)
    out.cuda.push_back(state_of(at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(i)))));
  return out;
}

void restore_rng_state(const RngState& state) {
  if (state.cpu.defined()) set_state_of(at::detail::getDefaultCPUGenerator(), state.cpu);
  if (static_cast<int64_t>(state.cuda.size()) > cuda_devices())
    throw Error("random generator state holds " + std::to_string(state.cuda.size()) + " CUDA devices, " +
                std::to_string(cuda_devices()) + " are visible");
  for (size_t i = 0; i < state.cuda.size(); ++i)
    set_state_of(at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(i))),
                 state.cuda[i]);
}

}  // namespace vltune
