#pragma once
// `vltune-cli inspect`: what a checkpoint or adapter folder holds, without loading a model.

#include <string>
#include <vector>

namespace vltune::cli {

// args: everything after "inspect". Prints to stdout; returns the exit code. Throws vltune::Error
// for unreadable inputs (main() reports them).
int run_inspect(const std::vector<std::string>& args);

}  // namespace vltune::cli
