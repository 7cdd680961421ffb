#pragma once
// Writing a file so that readers see the old contents or the new, never half of either: write to
// a temporary file in the same folder, fsync, rename over the target, fsync the folder.

#include <cstddef>
#include <filesystem>
#include <string_view>

namespace vltune::io {

class AtomicFile {
 public:
  // Creates the temporary file beside `target`. Throws FileError naming `target`.
  explicit AtomicFile(std::filesystem::path target);
  // Without commit(), the temporary file is removed and `target` is left as it was.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t size);
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
  // Makes the new contents durable and visible under `target`.
  void commit();

  const std::filesystem::path& target() const { return m_target; }

 private:
  [[noreturn]] void fail(const char* what, int err);
  std::filesystem::path m_target;
  std::filesystem::path m_temp;
  int m_fd = -1;
  bool m_committed = false;
};

}  // namespace vltune::io
