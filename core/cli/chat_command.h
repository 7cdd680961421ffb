#pragma once
// `vltune-cli chat`: one question answered and exit, or an interactive multi-turn chat on stdin;
// with --compare, the base model and each adapter answer side by side on one loaded model.

#include <string>
#include <vector>

namespace vltune::cli {

// args: everything after "chat". Returns the exit code (0 done, 1 failed, 2 bad usage).
int run_chat(const std::vector<std::string>& args);

}  // namespace vltune::cli
