#pragma once
// `vltune-cli image-cache [--dir DIR] [--clear]`: how much the prepared-image cache holds, and
// emptying it (data/image_cache_folder.h), for servers with no app to click.

#include <string>
#include <vector>

namespace vltune::cli {

// args: everything after "image-cache". Returns the exit code (0 done, 2 bad usage); the engine's
// errors are thrown to main.
int run_image_cache(const std::vector<std::string>& args);

}  // namespace vltune::cli
