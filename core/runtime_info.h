#pragma once
// What the engine runs on: versions and devices, for About boxes and `vltune-cli --version`.

#include <string>

namespace vltune {

struct RuntimeInfo {
  std::string vltune_version;  // this build, e.g. "0.1.0"
  std::string torch_version;   // LibTorch the engine is linked with, e.g. "1.13.0"
  bool cuda_available = false; // a CUDA device can be used right now
  int cuda_device_count = 0;   // number of visible CUDA devices
  bool image_io = false;       // built with image decoding (OpenCV imgcodecs)
  std::string switches;        // speed switches away from their defaults (env_switch.h), "" if none
};

// Queries LibTorch once per call; cheap enough for a dialog or a CLI flag.
RuntimeInfo runtime_info();

// One line for logs and the About box: "vltune 0.1.0, LibTorch 1.13.0, CUDA: not available", then
// ", switches: VLTUNE_TRAIN_GRAPHS=0" where some switch is away from its default.
std::string describe(const RuntimeInfo& info);

}  // namespace vltune
