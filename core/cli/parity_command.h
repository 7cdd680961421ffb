#pragma once
// `vltune-cli parity`: runs a reference fixture folder (made by make_fixtures.py) through the
// engine on a chosen device and dtype and compares with transformers' outputs, with the fixtures
// README's tolerances (float32: 1e-4 relative on logits, 1e-5 on losses, identical generations;
// bf16: 2e-2 relative, and the same argmax wherever the float32 top-2 margin exceeds 0.05).
// The way to check a CUDA build on a GPU box.

#include <string>
#include <vector>

namespace vltune::cli {

int run_parity(const std::vector<std::string>& args);

}  // namespace vltune::cli
