#include "bench/profile/step_profile.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include <torch/cuda.h>

#if __has_include(<torch/csrc/autograd/profiler_kineto.h>) && !defined(VLTUNE_BENCH_NO_PROFILER)
#include <torch/csrc/autograd/profiler_kineto.h>
#define VLTUNE_HAS_KINETO_API 1
#else
#define VLTUNE_HAS_KINETO_API 0
#endif

#include "core/error.h"

namespace vltune::bench {

namespace {

struct Totals {
  int64_t count = 0;
  double us = 0;
};

// The `n` entries of `by_name` with the largest `key`, as [{name, count, total_ms}].
nlohmann::json top(const std::map<std::string, Totals>& by_name, size_t n, bool by_count, int steps) {
  std::vector<std::pair<std::string, Totals>> rows(by_name.begin(), by_name.end());
  std::sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
    return by_count ? a.second.count > b.second.count : a.second.us > b.second.us;
  });
  if (rows.size() > n) rows.resize(n);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, t] : rows)
    out.push_back({{"name", name.size() > 100 ? name.substr(0, 97) + "..." : name},
                   {"per_step", static_cast<double>(t.count) / steps},
                   {"ms_per_step", t.us / 1000.0 / steps}});
  return out;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// An event's duration in microseconds: LibTorch 1.13 has durationUs(), 2.x durationNs().
template <class Event>
double duration_us(const Event& e) {
  if constexpr (requires { e.durationNs(); })
    return static_cast<double>(e.durationNs()) / 1000.0;
  else
    return static_cast<double>(e.durationUs());
}

}  // namespace

StepProfile::StepProfile() = default;

StepProfile::~StepProfile() {
#if VLTUNE_HAS_KINETO_API
  if (m_running) {
    try {
      torch::autograd::profiler::disableProfiler();
    } catch (...) {
    }
  }
#endif
}

void StepProfile::start() {
#if VLTUNE_HAS_KINETO_API
  namespace impl = torch::profiler::impl;
  std::set<impl::ActivityType> activities{impl::ActivityType::CPU};
  if (torch::cuda::is_available()) activities.insert(impl::ActivityType::CUDA);
  const impl::ProfilerConfig config(impl::ProfilerState::KINETO);
  torch::autograd::profiler::prepareProfiler(config, activities);
  torch::autograd::profiler::enableProfiler(config, activities);
  m_running = true;
#else
  throw Error("built without LibTorch's Kineto profiler API (torch/csrc/autograd/profiler_kineto.h, VLTUNE_BENCH_PROFILER)");
#endif
}

nlohmann::json StepProfile::stop(double wall_seconds, int steps, const std::string& trace_path) {
#if VLTUNE_HAS_KINETO_API
  if (!m_running) throw Error("StepProfile::stop without start");
  m_running = false;
  auto result = torch::autograd::profiler::disableProfiler();
  std::string trace_note;
  if (!trace_path.empty()) {
    try {
      result->save(trace_path);
    } catch (const std::exception& e) {
      // Debian's CPU LibTorch records the host's operators without Kineto, and cannot save them.
      const std::string what = e.what();
      trace_note = "not saved: " + what.substr(0, what.find('\n'));
    }
  }
  steps = std::max(steps, 1);
  std::map<std::string, Totals> kernels, host_ops;
  double gpu_us = 0;
  int64_t gpu_events = 0, launches = 0, syncs = 0, items = 0, to_host = 0, host_op_count = 0;
  for (const auto& e : result->events()) {
    const std::string name = e.name();
    const double us = duration_us(e);
    if (e.deviceType() == c10::DeviceType::CUDA) {
      ++gpu_events;
      gpu_us += us;
      Totals& t = kernels[name];
      ++t.count;
      t.us += us;
      if (starts_with(name, "Memcpy DtoH")) ++to_host;
      continue;
    }
    if (name == "cudaLaunchKernel" || name == "cudaLaunchKernelExC" || name == "cuLaunchKernel" ||
        name == "cuLaunchKernelEx" || name == "cudaGraphLaunch")
      ++launches;
    else if (name == "cudaStreamSynchronize" || name == "cudaDeviceSynchronize" || name == "cudaEventSynchronize")
      ++syncs;
    if (name == "aten::_local_scalar_dense") ++items;
    if (starts_with(name, "aten::")) {
      ++host_op_count;
      Totals& t = host_ops[name];
      ++t.count;
      t.us += us;
    }
  }
  const double step_ms = wall_seconds * 1000.0 / steps;
  const double gpu_ms = gpu_us / 1000.0 / steps;
  nlohmann::json s = {
      {"steps", steps},
      {"wall_ms_per_step", step_ms},
      {"gpu_busy_ms_per_step", gpu_ms},
      {"gpu_busy_share", step_ms > 0 ? gpu_ms / step_ms : 0.0},
      {"gpu_events_per_step", static_cast<double>(gpu_events) / steps},
      {"kernel_launches_per_step", static_cast<double>(launches) / steps},
      {"host_ops_per_step", static_cast<double>(host_op_count) / steps},
      {"item_calls_per_step", static_cast<double>(items) / steps},
      {"device_to_host_copies_per_step", static_cast<double>(to_host) / steps},
      {"sync_calls_per_step", static_cast<double>(syncs) / steps},
      {"top_gpu", top(kernels, 25, false, steps)},
      {"top_host_ops_by_count", top(host_ops, 15, true, steps)},
      {"top_host_ops_by_time", top(host_ops, 15, false, steps)},
  };
  if (!trace_path.empty()) s["trace"] = trace_note.empty() ? trace_path : trace_note;
  return s;
#else
  (void)wall_seconds;
  (void)steps;
  (void)trace_path;
  throw Error("this LibTorch has no Kineto profiler API");
#endif
}

std::string StepProfile::describe(const nlohmann::json& s) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line,
                "per step: %.2f ms wall, GPU busy %.2f ms (%.0f%%), %.0f GPU events, %.0f launches, %.0f host ops, "
                "%.0f item(), %.0f copies to host, %.0f syncs\n",
                s.value("wall_ms_per_step", 0.0), s.value("gpu_busy_ms_per_step", 0.0), 100.0 * s.value("gpu_busy_share", 0.0),
                s.value("gpu_events_per_step", 0.0), s.value("kernel_launches_per_step", 0.0), s.value("host_ops_per_step", 0.0),
                s.value("item_calls_per_step", 0.0), s.value("device_to_host_copies_per_step", 0.0),
                s.value("sync_calls_per_step", 0.0));
  out += line;
  auto table = [&](const char* title, const char* key) {
    out += title;
    out += "\n";
    for (const auto& r : s.value(key, nlohmann::json::array())) {
      std::snprintf(line, sizeof line, "  %9.3f ms  %8.1f x  %s\n", r.value("ms_per_step", 0.0), r.value("per_step", 0.0),
                    r.value("name", std::string()).c_str());
      out += line;
    }
  };
  table("GPU, by time per step:", "top_gpu");
  table("host operators, by count per step (time includes their callees):", "top_host_ops_by_count");
  return out;
}

}  // namespace vltune::bench
