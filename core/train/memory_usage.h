#pragma once
// Memory in use, for the progress report. LibTorch's CUDA allocator statistics need the CUDA
// libraries at link time, which a CPU build lacks: a CUDA caller installs its own probe
// (TrainerCallbacks::memory_probe, e.g. device_memory_bytes); by default the process's resident
// memory is reported.

#include <cstdint>

#include <c10/core/Device.h>

namespace vltune::train {

// Resident set size of this process in bytes; -1 where it cannot be read (not Linux).
int64_t process_resident_bytes();

// Memory a run on `device` holds: the process's resident memory for the CPU; for CUDA, the
// bytes LibTorch's caching allocator has handed out on that device (-1 in a build without CUDA).
int64_t device_memory_bytes(const c10::Device& device);

// The most memory a run on `device` has held since the last reset_device_peak_memory(): CUDA,
// the caching allocator's peak of allocated bytes (torch.cuda.max_memory_allocated); the CPU,
// the process's peak resident set (VmHWM). -1 where it cannot be read.
int64_t device_peak_memory_bytes(const c10::Device& device);
// CUDA: the caching allocator's peak of reserved bytes since the last reset (what the process took
// from the card, cached blocks included: torch.cuda.max_memory_reserved); -1 elsewhere.
int64_t device_peak_reserved_bytes(const c10::Device& device);
// Starts a new peak (CUDA: resetPeakStats; the CPU: /proc/self/clear_refs).
void reset_device_peak_memory(const c10::Device& device);
// Asks LibTorch's CUDA caching allocator for expandable segments (PYTORCH_CUDA_ALLOC_CONF=
// expandable_segments:True) unless the user set that variable, even to nothing. Training batches
// vary in length, and fixed-size segments fragment: a 7B QLoRA step under a 10 GB cap failed with
// 1.06 GiB reserved but unused. For runs held to a memory cap: on an H200 the 3B's uncapped steps
// were slower with it (RESULTS.md, 2026-11-27). Call before anything touches CUDA (the variable is
// read once, at the allocator's first use). LibTorch before 2.1 doesn't know the option: nothing is
// set there. -> whether the variable now asks for expandable segments.
bool prefer_expandable_cuda_segments();
// Caps what this process may take of a CUDA device's memory to `fraction` of it
// (torch.cuda.set_per_process_memory_fraction), so a run shows it fits a smaller card; allocating
// past it fails as out of memory. The allocator's cached, unused blocks are released first, so a cap
// set after loading counts what is in use from then on. False where nothing was capped (the CPU,
// or no CUDA in this build).
bool set_device_memory_fraction(const c10::Device& device, double fraction);

}  // namespace vltune::train
