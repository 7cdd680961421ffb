// vltune-cli: the headless front end. Subcommands are added as the engine grows.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "core/runtime_info.h"

int main(int argc, char** argv) {
  if (argc >= 2 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "version") == 0)) {
    std::printf("%s\n", vltune::describe(vltune::runtime_info()).c_str());
    return 0;
  }
  std::fprintf(stderr, "usage: vltune-cli --version\n");
  return 2;
}
