#include "core/cli/image_cache_command.h"

#include <cstdio>
#include <filesystem>

#include "core/data/image_cache.h"
#include "core/data/image_cache_folder.h"

namespace vltune::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kUsage =
    "usage: vltune-cli image-cache [--dir DIR] [--clear]\n"
    "  Prints how many prepared images the training image cache holds and their size on disk.\n"
    "  --dir: the cache folder (default $XDG_CACHE_HOME/vltune/images or ~/.cache/vltune/images,\n"
    "  what `vltune-cli train` and the app use unless told otherwise).\n"
    "  --clear: removes every entry. Only files named as entries are touched; later runs prepare\n"
    "  their images again.\n";

void print_usage_line(const char* verb, const fs::path& dir, const data::ImageCacheUsage& u) {
  std::printf("%s: %s %lld prepared image%s, %.1f MiB\n", dir.string().c_str(), verb, static_cast<long long>(u.entries),
              u.entries == 1 ? "" : "s", static_cast<double>(u.bytes) / (1 << 20));
}

}  // namespace

int run_image_cache(const std::vector<std::string>& args) {
  fs::path dir = data::default_image_cache_dir();
  bool clear = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--dir" && i + 1 < args.size()) {
      dir = args[++i];
    } else if (a == "--clear") {
      clear = true;
    } else {
      std::fprintf(stderr, "vltune-cli image-cache: unexpected argument '%s'\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (dir.empty()) {
    std::fprintf(stderr, "vltune-cli image-cache: neither XDG_CACHE_HOME nor HOME is set; name the folder with --dir\n");
    return 2;
  }
  if (clear)
    print_usage_line("removed", dir, data::clear_image_cache(dir));
  else
    print_usage_line("holds", dir, data::image_cache_usage(dir));
  return 0;
}

}  // namespace vltune::cli
