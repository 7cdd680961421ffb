#pragma once
// Helpers shared by the tests: where the test data and the Hugging Face fixtures are.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <stdlib.h>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/hf_config.h"

namespace vltune::test {

// What `f` throws as E (vltune::Error by default), or a marker when it throws no E.
template <typename E = vltune::Error, typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception of the expected type>";
}

// tests/data in the source tree.
inline std::filesystem::path test_data_dir() { return VLTUNE_TEST_DATA_DIR; }

// The reference fixtures: $VLTUNE_HF_FIXTURES, else ../shared/fixtures/hf beside the project.
inline std::filesystem::path hf_fixtures_root() {
  if (const char* env = std::getenv("VLTUNE_HF_FIXTURES"); env && *env) return env;
  return VLTUNE_DEFAULT_HF_FIXTURES;
}

// Every family folder in the fixtures that holds a model/ (qwen2_vl, llava, ...), sorted.
inline std::vector<std::string> hf_fixture_families() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(hf_fixtures_root(), ec))
    if (std::filesystem::is_directory(entry.path() / "model")) out.push_back(entry.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

// The fixture families whose config.json is one of `families`, sorted.
inline std::vector<std::string> fixture_families_of(std::initializer_list<io::ModelFamily> families) {
  std::vector<std::string> out;
  for (const auto& family : hf_fixture_families()) {
    const auto config = io::read_model_config(hf_fixtures_root() / family / "model");
    if (std::find(families.begin(), families.end(), config.family()) != families.end()) out.push_back(family);
  }
  return out;
}

// How many entries a folder holds (to check that no temporary file was left behind).
inline int entry_count(const std::filesystem::path& dir) {
  return static_cast<int>(std::distance(std::filesystem::directory_iterator(dir),
                                        std::filesystem::directory_iterator()));
}

// A fresh empty folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "vltune-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    m_path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
};

// Runs `f`, which must throw vltune::FormatError; returns the message (or a marker if it did not).
template <typename F>
std::string format_error(F&& f) {
  try {
    f();
  } catch (const vltune::FormatError& e) {
    return e.what();
  }
  return "<no FormatError>";
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The JSON header of a safetensors file, read with nothing but nlohmann::json, so tests can check
// the engine's reader against an independent one. *data_start: where the data section begins.
inline nlohmann::json read_safetensors_header_json(const std::filesystem::path& path,
                                                   uint64_t* data_start = nullptr) {
  std::ifstream in(path, std::ios::binary);
  unsigned char len[8] = {};
  in.read(reinterpret_cast<char*>(len), 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | len[i];
  std::string text(n, '\0');
  in.read(text.data(), static_cast<std::streamsize>(n));
  if (data_start) *data_start = 8 + n;
  return nlohmann::json::parse(text);
}

}  // namespace vltune::test
