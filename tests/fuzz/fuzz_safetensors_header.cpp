// libFuzzer harness for the safetensors header parser: any bytes in, either a validated header or
// a vltune::FormatError out; never a crash, hang or sanitizer report. Run: tests/fuzz/run_fuzzers.sh
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "core/io/safetensors_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    uint64_t data_offset = 0;
    const auto header = vltune::io::parse_safetensors_buffer(data, size, "fuzz", &data_offset);
    // Whatever was accepted must be self-consistent: every span inside the buffer.
    for (const auto& t : header.tensors) {
      if (t.begin > t.end || data_offset + t.end > size) __builtin_trap();
      if (static_cast<uint64_t>(t.numel()) * vltune::io::dtype_size(t.dtype) != t.end - t.begin)
        __builtin_trap();
    }
  } catch (const vltune::FormatError&) {
  }
  return 0;
}
