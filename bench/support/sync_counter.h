#pragma once
// How often some work makes the host wait for the GPU: every blocking copy, item(), nonzero() or
// stream synchronisation, counted with LibTorch's own sync debug mode (torch.cuda.
// set_sync_debug_mode("warn")), which warns at each. A training step that waits mid-way leaves
// the card idle while the host catches up; the benchmark reports the count per step.
//   const bench::SyncCount c = bench::count_syncs([&] { one_step(); });

#include <functional>
#include <string>
#include <vector>

namespace vltune::bench {

struct SyncCount {
  bool available = false;           // false without CUDA (nothing was run)
  int count = 0;                    // synchronising operations
  std::vector<std::string> sites;   // the first few warnings' call stacks
};

// Runs `work` on the current thread with sync warnings on, counting them; the previous mode and
// warning handler come back after, also when `work` throws. Without CUDA: {available = false},
// and `work` is not run.
SyncCount count_syncs(const std::function<void()>& work);

}  // namespace vltune::bench
