#pragma once
// The engine's exceptions. Core code throws; the CLI and the GUI workers catch at the job boundary
// and report. Every message names what it is about: the file, the key, the tensor or the row.

#include <stdexcept>
#include <string>

namespace vltune {

// Base of everything the engine throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file that exists but whose contents are malformed or unsupported.
class FormatError : public Error {
 public:
  using Error::Error;
};

// A file or folder that is not there (or cannot be opened).
class FileError : public Error {
 public:
  using Error::Error;
};

}  // namespace vltune
