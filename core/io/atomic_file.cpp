#include "core/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/error.h"

namespace vltune::io {

namespace fs = std::filesystem;

AtomicFile::AtomicFile(fs::path target) : m_target(std::move(target)) {
  const fs::path dir = m_target.has_parent_path() ? m_target.parent_path() : fs::path(".");
  std::string pattern = (dir / ("." + m_target.filename().string() + ".tmp-XXXXXX")).string();
  m_fd = ::mkstemp(pattern.data());
  if (m_fd < 0)
    throw FileError(m_target.string() + ": cannot create a temporary file in " + dir.string() +
                    " (" + std::strerror(errno) + ")");
  m_temp = pattern;
  // mkstemp creates 0600; a saved model should be readable like any file the user makes.
  // (Reading the umask means changing it, which races with other threads: use the usual 0644.)
  if (::fchmod(m_fd, 0644) != 0) fail("chmod", errno);
}

AtomicFile::~AtomicFile() {
  if (m_fd >= 0) ::close(m_fd);
  if (!m_committed && !m_temp.empty()) {
    std::error_code ignored;
    fs::remove(m_temp, ignored);
  }
}

void AtomicFile::fail(const char* what, int err) {
  throw FileError(m_target.string() + ": " + what + " failed (" + std::strerror(err) + ")");
}

void AtomicFile::write(const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(m_fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write", errno);
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  if (::fsync(m_fd) != 0) fail("fsync", errno);
  const int fd = m_fd;
  m_fd = -1;
  if (::close(fd) != 0) fail("close", errno);
  if (::rename(m_temp.c_str(), m_target.c_str()) != 0) fail("rename from temporary file", errno);
  m_committed = true;
  // Make the rename itself durable.
  const fs::path dir = m_target.has_parent_path() ? m_target.parent_path() : fs::path(".");
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace vltune::io
