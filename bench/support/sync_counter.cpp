#include "bench/support/sync_counter.h"

#include <c10/util/Backtrace.h>
#include <c10/util/Exception.h>

#include "core/torch_compat.h"

#if defined(VLTUNE_WITH_CUDA)
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace vltune::bench {

#if defined(VLTUNE_WITH_CUDA)
namespace {

constexpr size_t kSitesKept = 8;

// Counts the sync warnings and passes every other warning on to the handler it replaced.
class SyncWarningCounter : public c10::WarningHandler {
 public:
  explicit SyncWarningCounter(c10::WarningHandler* previous) : m_previous(previous) {}

#if VLTUNE_TORCH_AT_LEAST(2, 0)
  void process(const c10::Warning& warning) override {
    if (!take(warning.msg())) m_previous->process(warning);
  }
#else
  void process(const c10::SourceLocation& where, const std::string& msg, const bool verbatim) override {
    if (!take(msg)) m_previous->process(where, msg, verbatim);
  }
#endif

  SyncCount result;

 private:
  bool take(const std::string& msg) {
    if (msg.find("synchronizing") == std::string::npos) return false;
    ++result.count;
    // The warning names no call site: the stack does (frames 0-3 are this handler and c10's warn).
    if (result.sites.size() < kSitesKept) result.sites.push_back(c10::get_backtrace(/*frames_to_skip=*/4, /*maximum_number_of_frames=*/14));
    return true;
  }

  c10::WarningHandler* m_previous;
};

// The warning-handler functions moved from namespace c10::Warning to c10::WarningUtils in 2.0.
#if VLTUNE_TORCH_AT_LEAST(2, 0)
c10::WarningHandler* current_handler() { return c10::WarningUtils::get_warning_handler(); }
void set_handler(c10::WarningHandler* h) { c10::WarningUtils::set_warning_handler(h); }
#else
c10::WarningHandler* current_handler() { return c10::Warning::get_warning_handler(); }
void set_handler(c10::WarningHandler* h) { c10::Warning::set_warning_handler(h); }
#endif

}  // namespace
#endif

SyncCount count_syncs(const std::function<void()>& work) {
#if defined(VLTUNE_WITH_CUDA)
  auto& state = c10::cuda::warning_state();
  const auto mode = state.get_sync_debug_mode();
  c10::WarningHandler* const previous = current_handler();
  SyncWarningCounter counter(previous);
  set_handler(&counter);
  state.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_WARN);
  struct Restore {
    c10::cuda::WarningState& state;
    c10::cuda::SyncDebugMode mode;
    c10::WarningHandler* handler;
    ~Restore() {
      state.set_sync_debug_mode(mode);
      set_handler(handler);
    }
  } restore{state, mode, previous};
  work();
  counter.result.available = true;
  return counter.result;
#else
  (void)work;
  return {};
#endif
}

}  // namespace vltune::bench
