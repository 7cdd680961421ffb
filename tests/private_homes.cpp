// Linked into every test executable (vltune_add_test). ctest gives each test its own settings,
// data and cache folders (XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME in tests/CMakeLists.txt);
// a test binary run by hand (./build/bin/test_main_window, a screenshot run) would otherwise read
// and write the user's own: QSettings under ~/.config/Unknown Organization, the demo project,
// prepared images in ~/.cache. Before main() runs, each of those variables that is unset is
// pointed at a folder of this run's own under the temp folder, removed again at exit.

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace {

std::filesystem::path g_home;  // the run's folder, when one was made

void remove_home() {
  std::error_code ec;
  std::filesystem::remove_all(g_home, ec);
}

const bool kPrivateHomes = [] {
  const char* const variables[] = {"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"};
  bool unset = false;
  for (const char* v : variables) unset = unset || !std::getenv(v);
  if (!unset) return false;
  std::error_code ec;
  std::string pattern =
      (std::filesystem::temp_directory_path(ec) / (std::string("vltune-") + program_invocation_short_name + "-XXXXXX")).string();
  if (ec || !mkdtemp(pattern.data())) return false;  // then the variables stay as they are
  g_home = pattern;
  for (const char* v : variables)
    if (!std::getenv(v)) setenv(v, (g_home / v).c_str(), 0);
  std::atexit(remove_home);
  return true;
}();

}  // namespace
