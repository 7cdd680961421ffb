#pragma once
// `vltune-cli demo <folder>`: the desktop app's demo project (core/demo/demo_project.h), made for
// the command line: then `vltune-cli train <folder>/train.yaml` and `vltune-cli chat --compare`.

#include <string>
#include <vector>

namespace vltune::cli {

// args: everything after "demo". Returns the exit code (0 made, 2 bad usage).
int run_demo(const std::vector<std::string>& args);

}  // namespace vltune::cli
