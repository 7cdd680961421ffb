#include "core/runtime_info.h"

#include <torch/cuda.h>

#include "core/env_switch.h"
#include "core/torch_compat.h"

namespace vltune {

RuntimeInfo runtime_info() {
  RuntimeInfo info;
  info.vltune_version = VLTUNE_VERSION;
  info.torch_version = compat::torch_version_string();
  info.cuda_available = torch::cuda::is_available();
  info.cuda_device_count = info.cuda_available ? static_cast<int>(torch::cuda::device_count()) : 0;
#ifdef VLTUNE_WITH_IMAGE_IO
  info.image_io = true;
#endif
  info.switches = switches_changed();
  return info;
}

std::string describe(const RuntimeInfo& info) {
  std::string cuda = info.cuda_available
                         ? "available (" + std::to_string(info.cuda_device_count) + " device" +
                               (info.cuda_device_count == 1 ? "" : "s") + ")"
                         : "not available";
  std::string line = "vltune " + info.vltune_version + ", LibTorch " + info.torch_version + ", CUDA: " + cuda;
  if (!info.switches.empty()) line += ", switches: " + info.switches;
  return line;
}

}  // namespace vltune
