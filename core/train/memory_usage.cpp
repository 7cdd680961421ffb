#include "core/train/memory_usage.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "core/torch_compat.h"

#if defined(__linux__)
#include <unistd.h>
#endif

#if defined(VLTUNE_WITH_CUDA)
#include <ATen/ATen.h>
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace vltune::train {

#if defined(VLTUNE_WITH_CUDA)
namespace {

// The allocator's device index for `device` (cuda means cuda:0).
int index_of(const c10::Device& device) { return device.has_index() ? device.index() : 0; }

// The caching allocator's statistics for a CUDA device; index 0 of each is the aggregate over pool kinds.
auto stats_of(const c10::Device& device) {  // DeviceStats: its namespace moved between LibTorch versions
  return c10::cuda::CUDACachingAllocator::getDeviceStats(index_of(device));
}

}  // namespace
#endif

int64_t process_resident_bytes() {
#if defined(__linux__)
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return -1;
  return resident * static_cast<int64_t>(::sysconf(_SC_PAGESIZE));
#else
  return -1;
#endif
}

int64_t device_memory_bytes(const c10::Device& device) {
  if (device.is_cpu()) return process_resident_bytes();
#if defined(VLTUNE_WITH_CUDA)
  if (device.is_cuda()) {
    return stats_of(device).allocated_bytes[0].current;
  }
#endif
  return -1;
}

int64_t device_peak_memory_bytes(const c10::Device& device) {
  if (device.is_cpu()) {
#if defined(__linux__)
    std::ifstream status("/proc/self/status");
    std::string key;
    int64_t kib = 0;
    while (status >> key)
      if (key == "VmHWM:" && status >> kib) return kib * 1024;
#endif
    return -1;
  }
#if defined(VLTUNE_WITH_CUDA)
  if (device.is_cuda()) {
    return stats_of(device).allocated_bytes[0].peak;
  }
#endif
  return -1;
}

int64_t device_peak_reserved_bytes(const c10::Device& device) {
#if defined(VLTUNE_WITH_CUDA)
  if (device.is_cuda()) {
    return stats_of(device).reserved_bytes[0].peak;
  }
#endif
  (void)device;
  return -1;
}

void reset_device_peak_memory(const c10::Device& device) {
  if (device.is_cpu()) {
#if defined(__linux__)
    std::ofstream("/proc/self/clear_refs") << "5";  // 5: reset the peak resident set
#endif
    return;
  }
#if defined(VLTUNE_WITH_CUDA)
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(index_of(device));
#endif
}

bool prefer_expandable_cuda_segments() {
  constexpr const char* kVariable = "PYTORCH_CUDA_ALLOC_CONF";
  constexpr const char* kSetting = "expandable_segments:True";
#if VLTUNE_TORCH_AT_LEAST(2, 1)
  ::setenv(kVariable, kSetting, /*overwrite=*/0);
#endif
  const char* now = std::getenv(kVariable);
  return now != nullptr && std::strstr(now, kSetting) != nullptr;
}

bool set_device_memory_fraction(const c10::Device& device, double fraction) {
#if defined(VLTUNE_WITH_CUDA)
  if (device.is_cuda()) {
    // The allocator exists once CUDA is initialised: a first allocation does that on any version.
    (void)at::empty({1}, at::TensorOptions().device(device));
    // Cached but unused blocks go back first: the cap then counts what is in use from here on.
    c10::cuda::CUDACachingAllocator::emptyCache();
    c10::cuda::CUDACachingAllocator::setMemoryFraction(fraction, index_of(device));
    return true;
  }
#endif
  (void)device;
  (void)fraction;
  return false;
}

}  // namespace vltune::train
