#include "core/io/json_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace vltune::io {

namespace fs = std::filesystem;

Json read_json_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path.string() + ": cannot open (" + std::strerror(errno) + ")");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return parse_json(buffer.str(), path.string());
}

Json parse_json(std::string_view text, const std::string& label) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // e.byte is 1-based; turn it into line:column so the user can find it in an editor.
    size_t line = 1, column = 1;
    const size_t limit = std::min<size_t>(e.byte ? e.byte - 1 : 0, text.size());
    for (size_t i = 0; i < limit; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw FormatError(label + ": not valid JSON at line " + std::to_string(line) + ", column " +
                      std::to_string(column) + " (" + e.what() + ")");
  }
}

void write_file_atomic(const fs::path& path, std::string_view bytes) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::string pattern = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0)
    throw FileError(path.string() + ": cannot create a temporary file in " + dir.string() + " (" +
                    std::strerror(errno) + ")");
  const fs::path tmp = pattern;
  auto fail = [&](const char* what) {
    const int err = errno;
    ::close(fd);
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw FileError(path.string() + ": " + what + " failed (" + std::strerror(err) + ")");
  };
  const char* data = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  // mkstemp creates 0600; a saved model should be readable like any file the user makes.
  // (Reading the umask means changing it, which races with other threads: use the usual 0644.)
  if (::fchmod(fd, 0644) != 0) fail("chmod");
  if (::fsync(fd) != 0) fail("fsync");
  if (::close(fd) != 0) {
    const int err = errno;
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw FileError(path.string() + ": close failed (" + std::strerror(err) + ")");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw FileError(path.string() + ": rename from temporary file failed (" + std::strerror(err) +
                    ")");
  }
  // Make the rename itself durable.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

void write_json_file_atomic(const fs::path& path, const Json& value) {
  write_file_atomic(path, value.dump(2) + "\n");
}

void throw_missing_key(std::string_view key, const std::string& where) {
  throw FormatError(where + ": required key \"" + std::string(key) + "\" is missing");
}

void throw_wrong_type(std::string_view key, const std::string& where, const char* expected,
                      const Json& got) {
  std::string shown = got.dump();
  if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
  throw FormatError(where + ": key \"" + std::string(key) + "\" should be " + expected +
                    ", got " + shown);
}

}  // namespace vltune::io
