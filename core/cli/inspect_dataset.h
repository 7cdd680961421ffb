#pragma once
// `vltune-cli inspect <dataset>`: detected format, statistics and the validation report as one
// JSON object. Exit codes: 0 clean, 1 problems found, 2 the input could not be read at all.

#include <filesystem>
#include <string>
#include <vector>

namespace vltune::cli {

// True when `path` looks like a checkpoint or adapter (safetensors weights) rather than a dataset.
bool looks_like_checkpoint(const std::filesystem::path& path);

// args: everything after "inspect". Prints the report to stdout, errors to stderr; returns the exit code.
int run_inspect_dataset(const std::vector<std::string>& args);

}  // namespace vltune::cli
