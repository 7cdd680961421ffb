#include "core/train/out_of_memory.h"

#include <new>

#include <c10/util/Exception.h>

namespace vltune::train {

bool is_out_of_memory(const std::exception& e) {
  if (dynamic_cast<const std::bad_alloc*>(&e)) return true;
  if (dynamic_cast<const c10::OutOfMemoryError*>(&e)) return true;
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) {
    const std::string& msg = c10_error->msg();
    return msg.find("out of memory") != std::string::npos || msg.find("can't allocate memory") != std::string::npos;
  }
  return false;
}

std::string out_of_memory_message(const std::string& context, const std::exception& e) {
  std::string what = e.what();
  if (auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
  return context + ": out of memory (" + what +
         "). Reduce per_device_train_batch_size (and raise gradient_accumulation_steps to keep the effective "
         "batch), cutoff_len or image_max_pixels, and leave gradient checkpointing on "
         "(disable_gradient_checkpointing: false); use_unsloth_gc: true keeps its saved activations in host memory.";
}

}  // namespace vltune::train
