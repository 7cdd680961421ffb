#pragma once
// A whole file mapped into memory, shared by the tensors that view it.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>

namespace vltune::io {

class MappedFile {
 public:
  // Maps `path` copy-on-write: tensors viewing it may be written to without touching the file
  // (and without crashing on a read-only page). Throws FileError naming the file.
  static std::shared_ptr<MappedFile> open(const std::filesystem::path& path);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  uint8_t* data() const { return m_data; }
  size_t size() const { return m_size; }

 private:
  MappedFile() = default;
  std::filesystem::path m_path;
  uint8_t* m_data = nullptr;
  size_t m_size = 0;
};

}  // namespace vltune::io
