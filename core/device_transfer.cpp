#include "core/device_transfer.h"

#include <string>

#include <ATen/ATen.h>
#include <ATen/Context.h>

#include "core/error.h"

namespace vltune {

at::Tensor to_device(const at::Tensor& t, c10::Device device) {
  if (!t.defined() || t.device() == device) return t;
  if (t.device().is_cpu() && device.is_cuda()) {
    const at::Tensor source = t.is_pinned() ? t : t.pin_memory();
    return source.to(device, source.scalar_type(), /*non_blocking=*/true);
  }
  return t.to(device);
}

at::Tensor pinned_if_cuda(const at::Tensor& t) {
  if (!t.defined() || !t.device().is_cpu() || !at::hasCUDA() || t.is_pinned()) return t;
  return t.pin_memory();
}

at::Tensor host_view(const at::Tensor& t, const at::Tensor& mirror, const char* what) {
  if (!mirror.defined()) return t.defined() ? t.to(at::kCPU) : t;
  if (!t.defined() || mirror.sizes() != t.sizes())
    throw Error(std::string(what) + ": the host copy has shape " + c10::str(mirror.sizes()) + " but the tensor " +
                (t.defined() ? c10::str(t.sizes()) : std::string("is undefined")));
  if (!mirror.device().is_cpu()) throw Error(std::string(what) + ": the host copy is on " + mirror.device().str());
  return mirror;
}

}  // namespace vltune
