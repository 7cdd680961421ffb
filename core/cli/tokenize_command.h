#pragma once
// `vltune-cli tokenize`: text or a conversation in, token ids (and the label mask) out, so users
// can check what the model will see and scripts can compare tokenizers.

#include <string>
#include <vector>

namespace vltune::cli {

// args: everything after "tokenize". Reads stdin, prints JSON to stdout; returns the exit code.
// Throws vltune::Error for unreadable inputs (main() reports them).
int run_tokenize(const std::vector<std::string>& args);

}  // namespace vltune::cli
