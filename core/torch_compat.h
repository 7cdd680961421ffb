#pragma once
// The one place where LibTorch version differences are guarded. The engine builds against
// Debian's LibTorch 1.13 (CPU) and against CUDA LibTorch 2.x; code elsewhere uses these names.

#include <torch/version.h>

#define VLTUNE_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) ||         \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

// float8 scalar types (safetensors F8_E4M3 / F8_E5M2) arrived in 2.1.
#define VLTUNE_HAS_FLOAT8 VLTUNE_TORCH_AT_LEAST(2, 1)
// Unsigned 16/32/64-bit scalar types (safetensors U16 / U32 / U64) arrived in 2.3.
#define VLTUNE_HAS_UINT_WIDE VLTUNE_TORCH_AT_LEAST(2, 3)
// at::scaled_dot_product_attention arrived in 2.0.
#define VLTUNE_HAS_SDPA VLTUNE_TORCH_AT_LEAST(2, 0)
// Its `scale` argument arrived in 2.1 (2.0 always divides by sqrt(head_dim)).
#define VLTUNE_HAS_SDPA_SCALE VLTUNE_TORCH_AT_LEAST(2, 1)
// at::_foreach_lerp_ (torch.optim's multi-tensor AdamW moment update) arrived in 2.0.
#define VLTUNE_HAS_FOREACH_LERP VLTUNE_TORCH_AT_LEAST(2, 0)

namespace vltune::compat {

// "1.13.0", "2.11.0", ...
inline const char* torch_version_string() { return TORCH_VERSION; }

}  // namespace vltune::compat
