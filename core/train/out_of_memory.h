#pragma once
// Running out of memory during training is something the user fixes by changing settings, so it
// is reported as such instead of crashing the process. LibTorch 2.x throws c10::OutOfMemoryError
// for CUDA; 1.13 may throw a plain c10::Error whose message says "out of memory"; the CPU
// allocator throws c10::Error ("DefaultCPUAllocator: can't allocate memory") or std::bad_alloc.

#include <exception>
#include <string>

#include "core/error.h"

namespace vltune::train {

// Training ran out of memory; the message says what to reduce.
class OutOfMemoryError : public Error {
 public:
  using Error::Error;
};

// Whether `e` is an allocation failure (device or host).
bool is_out_of_memory(const std::exception& e);

// "<context>: out of memory (<first line of e.what()>). Reduce per_device_train_batch_size ..."
std::string out_of_memory_message(const std::string& context, const std::exception& e);

}  // namespace vltune::train
