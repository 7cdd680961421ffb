#pragma once
// Host-to-device copies that leave the host free. LibTorch's plain t.to(cuda) copies from pageable
// memory and then waits for the stream: every batch tensor, position table and index list sent
// that way stopped the host until the card had run everything queued before it, so a training
// step drained the queue some twenty times. Sent from page-locked memory with non_blocking, the
// copy is queued like a kernel and the host goes on launching.
//
// And the reverse: what the host must read (image grids, image-token counts, which labels count)
// is read from the batch's own CPU tensors, the "host mirrors" the *Inputs structs carry, not
// copied back from the card.

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

namespace vltune {

// `t` on `device`: as is when it is undefined or already there; from the CPU to CUDA through
// page-locked memory (`t` itself when it is pinned, else a pinned copy) and non_blocking; any
// other move as t.to(device). The caller may free `t` at once (the allocator keeps pinned memory
// until the device has read it); a `t` that is itself pinned must not be written before then.
at::Tensor to_device(const at::Tensor& t, c10::Device device);

// A page-locked copy of a CPU tensor when this build and machine have CUDA (the batch loader
// pins on its worker threads, so the trainer's thread sends without copying); else `t`.
at::Tensor pinned_if_cuda(const at::Tensor& t);

// What the host reads: `mirror` (the same values on the CPU) when it is defined, else `t` copied
// to the CPU (a wait for the device when `t` is on one). Throws vltune::Error naming `what` when
// the mirror's shape is not `t`'s.
at::Tensor host_view(const at::Tensor& t, const at::Tensor& mirror, const char* what);

}  // namespace vltune
