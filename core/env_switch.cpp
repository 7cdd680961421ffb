#include "core/env_switch.h"

#include <cstdlib>
#include <cstring>

namespace vltune {

bool env_switch(const char* name, bool fallback) {
  const char* v = std::getenv(name);
  if (v != nullptr && std::strcmp(v, "1") == 0) return true;
  if (v != nullptr && std::strcmp(v, "0") == 0) return false;
  return fallback;
}

}  // namespace vltune
