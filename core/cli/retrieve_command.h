#pragma once
// `vltune-cli retrieve`: CLIP's "chat", which is retrieval. One image against captions, one caption
// against a folder of images, or recall@1/5/10 over a captioned dataset; base and adapted side by
// side when an adapter is given (one model loaded, the adapter switched off for the base).

#include <string>
#include <vector>

namespace vltune::cli {

// args: everything after "retrieve". Returns the exit code (0 done, 1 failed, 2 bad usage).
int run_retrieve(const std::vector<std::string>& args);

}  // namespace vltune::cli
