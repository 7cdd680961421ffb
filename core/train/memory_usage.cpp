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
    // Index 0 of each statistic is the aggregate over pool kinds.
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.has_index() ? device.index() : 0);
    return stats.allocated_bytes[0].current;
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
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.has_index() ? device.index() : 0);
    return stats.allocated_bytes[0].peak;
  }
#endif
  return -1;
}

int64_t device_peak_reserved_bytes(const c10::Device& device) {
#if defined(VLTUNE_WITH_CUDA)
  if (device.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.has_index() ? device.index() : 0);
    return stats.reserved_bytes[0].peak;
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
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device.has_index() ? device.index() : 0);
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
    c10::cuda::CUDACachingAllocator::setMemoryFraction(fraction, device.has_index() ? device.index() : 0);
    return true;
  }
#endif
  (void)device;
  (void)fraction;
  return false;
}

}  // namespace vltune::train
