#pragma once
// Memory in use, for the progress report. LibTorch's CUDA allocator statistics need the CUDA
// libraries at link time, which a CPU build lacks: a CUDA caller installs its own probe
// (TrainerCallbacks::memory_probe); by default the process's resident memory is reported.

#include <cstdint>

namespace vltune::train {

// Resident set size of this process in bytes; -1 where it cannot be read (not Linux).
int64_t process_resident_bytes();

}  // namespace vltune::train
