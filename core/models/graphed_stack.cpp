#include "core/models/graphed_stack.h"

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include "core/env_switch.h"
#include "core/log.h"
#include "core/models/merged_products.h"
#include "core/torch_compat.h"

#if defined(VLTUNE_WITH_CUDA)
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace vltune::models {

namespace {

// What the graphs were made for: shapes, dtypes, the device, the parameters' storage and the
// caller's variant.
std::string key_of(const at::Tensor& x, const std::vector<at::Tensor>& fixed, const std::vector<at::Tensor>& params,
                   uint64_t variant) {
  std::ostringstream k;
  k << variant << ' ' << x.device() << ' ' << x.sizes() << x.scalar_type() << x.requires_grad();
  for (const auto& f : fixed) k << '|' << f.sizes() << f.scalar_type();
  for (const auto& p : params) k << '|' << p.data_ptr() << p.sizes() << p.scalar_type() << p.requires_grad();
  // The frozen weights the graphs read are not among `params`: a decode step between two training
  // steps (pinned samples) may have re-pointed them into stacked buffers (merged_products.h).
  k << "|stacked " << stacking_generation();
  return k.str();
}

}  // namespace

bool train_graphs_enabled() { return switch_on(Switch::train_graphs); }

void set_train_graphs(bool on) { set_switch(Switch::train_graphs, on); }

bool checkpoint_graphs_enabled() { return train_graphs_enabled() && switch_on(Switch::checkpoint_graphs); }

void set_checkpoint_graphs(bool on) { set_switch(Switch::checkpoint_graphs, on); }

struct GraphedStack::State {
  std::string key;        // what the graphs were made for (key_of)
  int calls = 0;          // run() calls with this key
  bool failed = false;    // capturing failed for this key: plain from then on
  bool replayed = false;  // the last run() replayed
  // The last replayed forward's node while its backward hasn't run: a second forward before it
  // would overwrite the activations that backward reads, so it runs plainly.
  bool backward_due = false;
  std::weak_ptr<torch::autograd::Node> last_node;
  // Over the stack's life (drop() keeps them): graphs captured and replayed, and whether it gave
  // up on graphs because its shapes keep changing.
  int64_t captures = 0, replays = 0;
  bool gave_up = false;
#if defined(VLTUNE_WITH_CUDA)
  std::unique_ptr<at::cuda::CUDAGraph> forward, backward;
  at::Tensor x, out, grad_out;          // the graphs' input, output and output gradient
  std::vector<at::Tensor> fixed;        // their copies of the fixed tensors
  at::Tensor grad_x;                    // x's gradient (undefined when x wants none)
  std::vector<at::Tensor> grad_params;  // the trained parameters' gradients, in their order
#endif

  void drop() {
#if defined(VLTUNE_WITH_CUDA)
    backward.reset();
    forward.reset();
    x = out = grad_out = grad_x = at::Tensor();
    fixed.clear();
    grad_params.clear();
#endif
    calls = 0;
    failed = false;
    replayed = false;
    backward_due = false;
    last_node.reset();
  }
};

#if defined(VLTUNE_WITH_CUDA)

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct StateHolder : torch::CustomClassHolder {
  std::shared_ptr<GraphedStack::State> state;
};

// One node for the whole stack: forward replays the forward graph, backward the backward graph
// and adds the parameters' gradients to their .grad itself (returning none for them).
struct ReplayFunction : torch::autograd::Function<ReplayFunction> {
  // tensors: x, then the trained parameters (inputs so that the output wants a gradient).
  static at::Tensor forward(AutogradContext* ctx, at::IValue holder_value, at::TensorList tensors) {
    auto& st = *static_cast<StateHolder*>(holder_value.toCapsule().get())->state;
    st.x.copy_(tensors[0]);
    st.forward->replay();
    ctx->saved_data["holder"] = std::move(holder_value);
    std::vector<at::Tensor> params(tensors.begin() + 1, tensors.end());
    ctx->saved_data["params"] = params;
    return st.out.detach();  // a new tensor on the graph's buffer: autograd may set its grad_fn
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto& st = *static_cast<StateHolder*>(ctx->saved_data["holder"].toCapsule().get())->state;
    const std::vector<at::Tensor> params = ctx->saved_data["params"].toTensorVector();
    st.grad_out.copy_(grads[0]);
    st.backward->replay();
    st.backward_due = false;
    // As AccumulateGrad would: .grad set to (a copy of) the gradient, or added to.
    std::vector<at::Tensor> unset_new, set_old, set_new;
    std::vector<size_t> unset;
    for (size_t i = 0; i < params.size(); ++i) {
      if (!st.grad_params[i].defined()) continue;
      if (params[i].grad().defined()) {
        set_old.push_back(params[i].grad());
        set_new.push_back(st.grad_params[i]);
      } else {
        unset.push_back(i);
        unset_new.push_back(st.grad_params[i]);
      }
    }
    {
      at::NoGradGuard no_grad;
      if (!set_old.empty()) at::_foreach_add_(set_old, set_new);
      if (!unset_new.empty()) {
        const auto copies = at::_foreach_mul(unset_new, 1.0);  // exact copies, in one launch or few
        for (size_t k = 0; k < unset.size(); ++k) const_cast<at::Tensor&>(params[unset[k]]).mutable_grad() = copies[k];
      }
    }
    variable_list result(1 + 1 + params.size());
    if (st.grad_x.defined()) result[1] = st.grad_x.clone();  // x's producer may keep it
    return result;
  }
};

// f()'s kernels recorded into `graph` from the current stream, drawing memory from `pool` ({0, 0}:
// its own); the capture is ended should f throw. Thread-local, as the decode's capture
// (gen/fixed_shape_decode.cpp): the batch loader's threads pinning the next batches meanwhile
// neither break this capture nor fail on its account.
using MempoolId = decltype(std::declval<at::cuda::CUDAGraph&>().pool());
template <typename F>
auto record(at::cuda::CUDAGraph& graph, MempoolId pool, F&& f) {
#if VLTUNE_TORCH_AT_LEAST(2, 0)
  graph.capture_begin(pool, cudaStreamCaptureModeThreadLocal);
#else
  graph.capture_begin(pool);  // 1.x: global capture only
#endif
  decltype(f()) result;
  try {
    result = f();
  } catch (...) {
    try {
      graph.capture_end();
    } catch (const std::exception&) {
    }
    throw;
  }
  graph.capture_end();
  return result;
}

// The graphs' own input, fixed tensors and output gradient, made on the caller's stream (the one
// that replays and, at reset, frees them).
void make_buffers(GraphedStack::State& st, const at::Tensor& x, const std::vector<at::Tensor>& fixed) {
  at::NoGradGuard no_grad;
  st.x = x.detach().clone();
  st.fixed.clear();
  for (const auto& f : fixed) st.fixed.push_back(f.detach().clone());
  st.grad_out = at::empty_like(st.x);  // the stack's output has its input's shape (checked at capture)
}

// Records `st`'s graphs for block on the side stream `stream` (the current one).
void capture(GraphedStack::State& st, const GraphBlock& block, const at::Tensor& x, const std::vector<at::Tensor>& params,
             c10::cuda::CUDAStream stream) {
  at::AutoGradMode grad_on(true);
  st.x.requires_grad_(x.requires_grad());
  std::vector<at::Tensor> targets;
  if (x.requires_grad()) targets.push_back(st.x);
  for (const auto& p : params) targets.push_back(p);
  // Warm-up on the side stream (cuBLAS workspaces, cuDNN plans for this stream); autograd::grad
  // leaves .grad alone.
  {
    const at::Tensor y = block(st.x, st.fixed);
    torch::autograd::grad({y}, targets, {at::ones_like(y)}, /*retain_graph=*/false, /*create_graph=*/false,
                          /*allow_unused=*/true);
  }
  stream.synchronize();
  st.forward = std::make_unique<at::cuda::CUDAGraph>();
  const at::Tensor out = record(*st.forward, {0, 0}, [&] { return block(st.x, st.fixed); });
  if (out.sizes() != st.grad_out.sizes() || out.scalar_type() != st.grad_out.scalar_type())
    throw std::runtime_error("the stack's output is not shaped as its input");
  st.backward = std::make_unique<at::cuda::CUDAGraph>();
  const variable_list g = record(*st.backward, st.forward->pool(), [&] {  // in the forward's pool, as PyTorch does
    return torch::autograd::grad({out}, targets, {st.grad_out}, /*retain_graph=*/false, /*create_graph=*/false,
                                 /*allow_unused=*/true);
  });
  st.out = out.detach();
  size_t k = 0;
  st.grad_x = x.requires_grad() ? g[k++] : at::Tensor();
  st.grad_params.assign(g.begin() + static_cast<ptrdiff_t>(k), g.end());
  st.x = st.x.detach();
}

// Whether to stop capturing: three captures or more, replayed fewer than four times each on average.
bool gives_up(GraphedStack::State& st) {
  if (st.captures < 3 || st.replays >= 4 * st.captures) return false;
  st.gave_up = true;
  return true;
}

}  // namespace

#endif  // VLTUNE_WITH_CUDA

GraphedStack::GraphedStack() : m_state(std::make_shared<State>()) {}
GraphedStack::~GraphedStack() = default;

bool GraphedStack::replayed() const { return m_state->replayed; }

void GraphedStack::reset() {
  m_state->drop();
  m_state->key.clear();
  m_state->captures = m_state->replays = 0;
  m_state->gave_up = false;
}

bool GraphedStack::applies(const at::Tensor& x, const std::vector<at::Tensor>& params) {
#if defined(VLTUNE_WITH_CUDA)
  if (!train_graphs_enabled() || !x.defined() || !x.is_cuda() || !at::GradMode::is_enabled()) return false;
  for (const auto& p : params)
    if (p.defined() && p.requires_grad()) return true;
  return false;
#else
  (void)x;
  (void)params;
  return false;
#endif
}

at::Tensor GraphedStack::run(const GraphBlock& block, const at::Tensor& x, const std::vector<at::Tensor>& fixed,
                             const std::vector<at::Tensor>& params, uint64_t variant) {
  State& st = *m_state;
  st.replayed = false;
  if (!applies(x, params)) return block(x, fixed);
  for (const auto& f : fixed)
    if (!f.defined()) return block(x, fixed);  // nothing to copy into a fixed buffer
#if defined(VLTUNE_WITH_CUDA)
  std::vector<at::Tensor> trained;
  for (const auto& p : params)
    if (p.defined() && p.requires_grad()) trained.push_back(p);
  const std::string key = key_of(x, fixed, trained, variant);
  if (key != st.key) {
    st.drop();  // other shapes or parameters: the old graphs can't serve them
    st.key = key;
  }
  if (st.gave_up || st.failed || ++st.calls == 1) return block(x, fixed);  // the first: plainly, as warm-up
  if (st.backward_due && !st.last_node.expired()) return block(x, fixed);
  const auto device = x.device().index();
  const auto caller = c10::cuda::getCurrentCUDAStream(device);
  if (!st.forward) {
    if (gives_up(st)) {
      st.drop();  // the flags survive: plain from now on
      log_warning("training without CUDA graphs: the batches' shapes keep changing (" + std::to_string(st.captures) +
                  " captures replayed " + std::to_string(st.replays) + " times); sequence packing (packing: true) "
                  "keeps them fixed");
      return block(x, fixed);
    }
    ++st.captures;
    const auto side = c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device);
    make_buffers(st, x, fixed);
    at::cuda::CUDAEvent ready;
    ready.record(caller);
    ready.block(side);
    try {
      c10::cuda::CUDAStreamGuard on_side(side);
      capture(st, block, x, trained, side);
    } catch (const std::exception& e) {
      (void)cudaGetLastError();  // the failed capture's error, not a sticky one
      st.drop();
      st.failed = true;
      log_warning(std::string("training without CUDA graphs: capturing the decoder stack failed: ") + e.what());
      return block(x, fixed);
    }
    at::cuda::CUDAEvent captured;
    captured.record(side);
    captured.block(caller);
    // Once a stack: why the second step took longer, and what the later ones do.
    if (st.captures == 1) {
      std::ostringstream shape;
      shape << x.sizes();
      log_info("training: the decoder's layers captured as CUDA graphs for batches of shape " + shape.str() +
               ", replayed while the shape repeats (VLTUNE_TRAIN_GRAPHS=0 turns this off)");
    }
  }
  {
    at::NoGradGuard no_grad;
    for (size_t i = 0; i < fixed.size(); ++i) st.fixed[i].copy_(fixed[i]);
  }
  std::vector<at::Tensor> tensors{x};
  tensors.insert(tensors.end(), trained.begin(), trained.end());
  auto holder = c10::make_intrusive<StateHolder>();
  holder->state = m_state;
  at::Tensor out = ReplayFunction::apply(at::IValue::make_capsule(std::move(holder)), at::TensorList(tensors));
  st.replayed = true;
  ++st.replays;
  st.backward_due = true;
  st.last_node = out.grad_fn();
  return out;
#else
  (void)variant;
  return block(x, fixed);
#endif
}

}  // namespace vltune::models
