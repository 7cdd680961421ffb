#include "core/env_switch.h"

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>

namespace vltune {

namespace {

constexpr auto kCount = static_cast<size_t>(Switch::count);

// In Switch's order. A speed-up is on by default once a GPU run has measured it (bench/RESULTS.md);
// VLTUNE_ATTENTION_BATCHED_VALUES measured no gain.
constexpr std::array<SwitchInfo, kCount> kSwitches{{
    {"VLTUNE_TRAIN_GRAPHS", true},
    {"VLTUNE_CHECKPOINT_GRAPHS", true},
    {"VLTUNE_CUDA_GRAPHS", true},
    {"VLTUNE_MERGED_PRODUCTS", true},
    {"VLTUNE_COMPACT_AUTOGRAD", true},
    {"VLTUNE_FUSED_ATTENTION", true},
    {"VLTUNE_ATTENTION_BATCHED_VALUES", false},
    {"VLTUNE_DECODE_GEMV", true},
}};

bool from_environment(const SwitchInfo& info) {
  const char* v = std::getenv(info.name);
  if (v != nullptr && std::strcmp(v, "1") == 0) return true;
  if (v != nullptr && std::strcmp(v, "0") == 0) return false;
  return info.fallback;
}

// Read from the environment once, at the first use of any switch.
struct States {
  States() {
    for (size_t i = 0; i < kCount; ++i) on[i].store(from_environment(kSwitches[i]));
  }
  std::array<std::atomic<bool>, kCount> on;
};

std::array<std::atomic<bool>, kCount>& states() {
  static States s;
  return s.on;
}

}  // namespace

const SwitchInfo& switch_info(Switch s) { return kSwitches.at(static_cast<size_t>(s)); }

bool switch_on(Switch s) { return states().at(static_cast<size_t>(s)).load(std::memory_order_relaxed); }

void set_switch(Switch s, bool on) { states().at(static_cast<size_t>(s)).store(on, std::memory_order_relaxed); }

std::string switches_changed() {
  std::string out;
  for (size_t i = 0; i < kCount; ++i) {
    const bool on = switch_on(static_cast<Switch>(i));
    if (on == kSwitches[i].fallback) continue;
    if (!out.empty()) out += ' ';
    out += std::string(kSwitches[i].name) + (on ? "=1" : "=0");
  }
  return out;
}

}  // namespace vltune
