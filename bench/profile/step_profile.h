#pragma once
// What a benchmark's steps spend their time on, from LibTorch's own profiler (Kineto, the one
// behind torch.profiler): the host's operators and the GPU's kernels, summed by name. It answers
// the questions a ratio table raises: is the GPU busy, how many kernels does a step launch, how
// often does the host wait for the device, and which kernels take the time.
//   StepProfile profile;            // throws vltune::Error where this LibTorch has no profiler
//   profile.start();
//   ... the steps, ending with a device synchronisation ...
//   nlohmann::json summary = profile.stop(wall_seconds, steps, "trace.json");

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace vltune::bench {

class StepProfile {
 public:
  StepProfile();
  ~StepProfile();
  StepProfile(const StepProfile&) = delete;
  StepProfile& operator=(const StepProfile&) = delete;

  // Starts recording the host's operators and, on a CUDA build, the GPU's kernels.
  void start();
  // Stops, writes the Chrome trace to `trace_path` (none when empty) and returns the summary of
  // `steps` steps that took `wall_seconds` in all (per step: GPU busy time and its share of the
  // wall time, kernels, kernel launches, host waits for the device; the kernels and the host
  // operators that took the most time).
  nlohmann::json stop(double wall_seconds, int steps, const std::string& trace_path);
  // The summary as a few lines of text for a terminal.
  static std::string describe(const nlohmann::json& summary);

 private:
  bool m_running = false;
};

}  // namespace vltune::bench
