#include "core/train/memory_usage.h"

#include <fstream>

#if defined(__linux__)
#include <unistd.h>
#endif

namespace vltune::train {

int64_t process_resident_bytes() {
#if defined(__linux__)
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return -1;
  return resident * static_cast<int64_t>(::sysconf(_SC_PAGESIZE));
#else
  return -1;
#endif
}

}  // namespace vltune::train
