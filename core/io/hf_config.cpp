// Being written: see the helper working on checkpoint configs.
#include "core/io/json_file.h"
