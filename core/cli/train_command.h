#pragma once
// `vltune-cli train <config.yaml>`: a LLaMA-Factory-style LoRA SFT run, headless, with a progress
// line on stderr. `vltune-cli export`: an adapter merged into its base model, as a Hub checkpoint.

#include <string>
#include <vector>

namespace vltune::cli {

// args: everything after "train". Returns the exit code (0 finished, 1 failed, 2 bad usage or
// config, 130 stopped by Ctrl-C with a checkpoint written).
int run_train(const std::vector<std::string>& args);

// args: everything after "export".
int run_export(const std::vector<std::string>& args);

}  // namespace vltune::cli
