#include "core/gen/fixed_shape_decode.h"

#include <string>
#include <utility>

#include "core/env_switch.h"
#include "core/error.h"
#include "core/log.h"
#include "core/torch_compat.h"

#if defined(VLTUNE_WITH_CUDA)
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace vltune::gen {

// The captured step and the stream it runs on (a graph can't be captured on the default stream).
struct FixedShapeDecode::Graph {
#if defined(VLTUNE_WITH_CUDA)
  explicit Graph(c10::DeviceIndex device) : stream(c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device)) {}
  c10::cuda::CUDAStream stream;
  at::cuda::CUDAGraph graph;
  torch::Tensor logits;  // [1, V]: the graph's output, rewritten by every replay
  bool captured = false;
#endif
};

// The token each step takes, copied to pinned host memory as the step is launched, and the event
// that says the copy is done: reading it waits for the token, not for the step queued after it.
struct FixedShapeDecode::HostToken {
#if defined(VLTUNE_WITH_CUDA)
  torch::Tensor pinned;  // int64 [1, 1]
  at::cuda::CUDAEvent copied;
#endif
};

bool cuda_graphs_allowed() { return switch_on(Switch::cuda_graphs); }

FixedShapeDecode::FixedShapeDecode(models::DecodeStep step, models::KvCache& cache, const torch::Tensor& prompt_mask,
                                   int64_t first_position, bool cuda_graph)
    : m_step(std::move(step)), m_cache(cache) {
  torch::NoGradGuard no_grad;
  const int64_t prompt = prompt_mask.size(1), capacity = cache.capacity();
  if (cache.length() != prompt)
    throw Error("fixed-shape decoding: the cache holds " + std::to_string(cache.length()) + " positions, the prompt " +
                std::to_string(prompt));
  if (capacity <= prompt) throw Error("fixed-shape decoding: no room in the cache after the prompt (reserve() it first)");
  const auto dev = prompt_mask.device();
  const auto ids = torch::TensorOptions().dtype(torch::kLong).device(dev);
  m_token = torch::zeros({1, 1}, ids);
  m_slot = torch::full({1}, prompt, ids);
  m_position = torch::full({1, 1}, first_position, ids);
  m_mask = torch::zeros({1, capacity}, prompt_mask.options());
  m_mask.narrow(1, 0, prompt).copy_(prompt_mask);
  m_room = capacity - prompt;
  m_cache.begin_static(m_slot);
#if defined(VLTUNE_WITH_CUDA)
  if (dev.is_cuda()) {
    m_host_token = std::make_unique<HostToken>();
    m_host_token->pinned = torch::empty({1, 1}, torch::TensorOptions().dtype(torch::kLong).pinned_memory(true));
  }
  if (cuda_graph && dev.is_cuda()) m_graph = std::make_unique<Graph>(dev.index());
#else
  (void)cuda_graph;
#endif
}

FixedShapeDecode::~FixedShapeDecode() {
#if defined(VLTUNE_WITH_CUDA)
  // A step launched ahead may still run (generation stopped after it was queued): it writes the
  // cache and buffers freed here.
  if (m_token.is_cuda()) {
    try {
      c10::cuda::getCurrentCUDAStream(m_token.device().index()).synchronize();
    } catch (...) {
    }
  }
#endif
}

int64_t FixedShapeDecode::token_id() {
  if (m_steps == 0) throw Error("fixed-shape decoding: no token taken yet");
#if defined(VLTUNE_WITH_CUDA)
  if (m_host_token) {
    m_host_token->copied.synchronize();
    return m_host_token->pinned.item<int64_t>();
  }
#endif
  return m_token_id;
}

bool FixedShapeDecode::graphed() const {
#if defined(VLTUNE_WITH_CUDA)
  return m_graph && m_graph->captured;
#else
  return false;
#endif
}

torch::Tensor FixedShapeDecode::run() {
  // Everything below reads its inputs from the fixed buffers and writes them in place: replaying
  // the recorded kernels is this whole function.
  m_mask.index_fill_(1, m_slot, 1);
  auto hidden = m_step.step(m_token, m_position, m_mask, m_cache);  // [1, 1, hidden]
  auto logits = m_step.head(hidden).select(/*dim=*/1, 0);            // [1, V]
  m_slot.add_(1);
  m_position.add_(1);
  return logits;
}

torch::Tensor FixedShapeDecode::next(const torch::Tensor& token) {
  torch::NoGradGuard no_grad;
  if (m_steps == m_room) throw Error("fixed-shape decoding: the KV cache is full (" + std::to_string(m_cache.capacity()) + " positions)");
  m_token.copy_(token);
  ++m_steps;
#if defined(VLTUNE_WITH_CUDA)
  if (m_host_token) {
    // Queued before the step, so the host waits for this copy alone.
    m_host_token->pinned.copy_(token, /*non_blocking=*/true);
    m_host_token->copied.record(c10::cuda::getCurrentCUDAStream(m_token.device().index()));
  } else {
    m_token_id = m_token.item<int64_t>();
  }
#else
  m_token_id = m_token.item<int64_t>();
#endif
#if defined(VLTUNE_WITH_CUDA)
  if (m_graph) {
    Graph& g = *m_graph;
    const auto caller = c10::cuda::getCurrentCUDAStream(g.stream.device_index());
    at::cuda::CUDAEvent ready;  // the side stream starts after the caller's work (the token's copy)
    ready.record(caller);
    ready.block(g.stream);
    torch::Tensor logits;
    {
      c10::cuda::CUDAStreamGuard on_side(g.stream);
      if (g.captured) {
        g.graph.replay();
        logits = g.logits;
      } else if (m_steps == 1) {
        logits = run();  // plainly: cuBLAS handles, workspaces and allocator blocks exist before the capture
      } else {
        bool began = false, recorded = false;
        try {
          // Thread-local: another thread's CUDA calls (training, the GUI's memory readings) don't
          // break this capture, nor does it break theirs.
#if VLTUNE_TORCH_AT_LEAST(2, 0)
          g.graph.capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
#else
          g.graph.capture_begin();  // 1.x: global capture only
#endif
          began = true;
          g.logits = run();  // recorded, not run
          recorded = true;
          g.graph.capture_end();
          g.captured = true;
        } catch (const std::exception& e) {
          if (began && !recorded) {
            try {
              g.graph.capture_end();
            } catch (const std::exception&) {
            }
          }
          (void)cudaGetLastError();  // the failed capture's error, not a sticky one
          log_warning(std::string("decoding without a CUDA graph: capturing the decode step failed: ") + e.what());
        }
        if (g.captured) {
          g.graph.replay();
          logits = g.logits;
        }
      }
    }
    if (logits.defined()) {
      at::cuda::CUDAEvent done;  // the caller reads the logits after the step
      done.record(g.stream);
      done.block(caller);
      return logits;
    }
    m_graph.reset();  // the capture failed: nothing it recorded ran; the step runs plainly below
  }
#endif
  return run();
}

}  // namespace vltune::gen
