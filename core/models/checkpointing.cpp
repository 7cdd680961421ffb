#include "core/models/checkpointing.h"

#include <unordered_set>

#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include "core/error.h"
#include "core/rng_state.h"

namespace vltune::models {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// What backward needs besides the saved tensors, carried in an IValue capsule.
struct BlockHolder : torch::CustomClassHolder {
  CheckpointBlock block;
  size_t input_count = 0;                      // the first input_count saved tensors are inputs, the rest params
  CheckpointOptions options;                   // draws_random: rng is kept; offload_inputs: inputs saved in host memory
  RngState rng;                                // the generators before the forward
  std::vector<c10::Device> input_device = {};  // offloaded: where each input goes back to for backward
  std::vector<bool> input_grad = {};           // offloaded: whether each input requires grad
  int64_t offloaded_bytes = 0;                 // offloaded: the inputs' bytes in host memory
};

// A copy of `t` in host memory for backward: pinned for a CUDA tensor and written without waiting
// (the copy is queued on the stream before anything that can reuse t's memory, and before
// backward's copy back). A tensor already in host memory is kept as it is.
at::Tensor to_host(const at::Tensor& t) {
  if (t.device().is_cpu()) return t;
  at::Tensor host = at::empty(t.sizes(), t.options().device(at::kCPU).pinned_memory(t.is_cuda()));
  host.copy_(t, /*non_blocking=*/t.is_cuda());
  return host;
}

struct CheckpointFunction : torch::autograd::Function<CheckpointFunction> {
  // tensors: inputs then params. Runs with grad mode off (Function::apply turns it off).
  static variable_list forward(AutogradContext* ctx, at::IValue holder_value, at::TensorList tensors) {
    auto* holder = static_cast<BlockHolder*>(holder_value.toCapsule().get());  // alive: holder_value owns it
    if (holder->options.draws_random) holder->rng = capture_rng_state();
    std::vector<at::Tensor> inputs(tensors.begin(), tensors.begin() + static_cast<ptrdiff_t>(holder->input_count));
    variable_list outputs = holder->block(inputs);
    variable_list saved(tensors.begin(), tensors.end());
    if (holder->options.offload_inputs)
      for (size_t i = 0; i < inputs.size(); ++i) {
        holder->input_device.push_back(inputs[i].device());
        holder->input_grad.push_back(inputs[i].requires_grad());
        saved[i] = to_host(inputs[i]);  // saved, so backward frees it as it would the input
        holder->offloaded_bytes += static_cast<int64_t>(inputs[i].numel() * inputs[i].element_size());
      }
    ctx->save_for_backward(saved);
    ctx->saved_data["holder"] = std::move(holder_value);
    return outputs;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto* holder = static_cast<BlockHolder*>(ctx->saved_data["holder"].toCapsule().get());  // owned by ctx
    const variable_list saved = ctx->get_saved_variables();
    const size_t n_inputs = holder->input_count;
    // Fresh leaves for the inputs, so the recomputed graph ends at them (offloaded: back on their
    // device first, the copy queued on the stream the recompute runs on).
    std::vector<at::Tensor> inputs;
    for (size_t i = 0; i < n_inputs; ++i) {
      if (holder->options.offload_inputs) {
        const at::Tensor& host = saved[i];
        const c10::Device device = holder->input_device[i];
        inputs.push_back(host.to(device, /*non_blocking=*/device.is_cuda()).detach().requires_grad_(holder->input_grad[i]));
      } else {
        inputs.push_back(saved[i].defined() ? saved[i].detach().requires_grad_(saved[i].requires_grad()) : saved[i]);
      }
    }

    variable_list outputs;
    if (!holder->options.draws_random) {
      at::AutoGradMode grad_on(true);
      outputs = holder->block(inputs);
    } else {
      const RngState now = capture_rng_state();
      restore_rng_state(holder->rng);
      try {
        at::AutoGradMode grad_on(true);
        outputs = holder->block(inputs);
      } catch (...) {
        restore_rng_state(now);
        throw;
      }
      restore_rng_state(now);
    }

    // Differentiate the outputs that carry a gradient with respect to what requires one.
    variable_list out, grads;
    for (size_t i = 0; i < outputs.size() && i < grad_outputs.size(); ++i)
      if (outputs[i].defined() && outputs[i].requires_grad() && grad_outputs[i].defined()) {
        out.push_back(outputs[i]);
        grads.push_back(grad_outputs[i]);
      }
    variable_list targets;
    std::vector<size_t> target_of;  // saved index of each target
    for (size_t i = 0; i < saved.size(); ++i) {
      const at::Tensor& t = i < n_inputs ? inputs[i] : saved[i];
      if (t.defined() && t.requires_grad()) {
        targets.push_back(t);
        target_of.push_back(i);
      }
    }
    // One gradient per forward argument: the capsule, then each tensor.
    variable_list result(1 + saved.size());
    if (out.empty() || targets.empty()) return result;
    const variable_list g = torch::autograd::grad(out, targets, grads, /*retain_graph=*/false,
                                                  /*create_graph=*/false, /*allow_unused=*/true);
    for (size_t k = 0; k < g.size(); ++k) result[1 + target_of[k]] = g[k];
    return result;
  }
};

}  // namespace

std::vector<at::Tensor> checkpoint(const CheckpointBlock& block, const std::vector<at::Tensor>& inputs,
                                   const std::vector<at::Tensor>& params, CheckpointOptions options) {
  std::vector<at::Tensor> tensors;
  bool any_grad = false;
  for (const auto& t : inputs) {
    if (!t.defined()) throw Error("checkpoint: an input is undefined");
    tensors.push_back(t);
    any_grad = any_grad || t.requires_grad();
  }
  for (const auto& p : params)
    if (p.defined() && p.requires_grad()) {
      tensors.push_back(p);
      any_grad = true;
    }
  if (!at::GradMode::is_enabled() || !any_grad) return block(inputs);
  auto holder = c10::make_intrusive<BlockHolder>();
  holder->block = block;
  holder->input_count = inputs.size();
  holder->options = options;
  return CheckpointFunction::apply(at::IValue::make_capsule(std::move(holder)), at::TensorList(tensors));
}

at::Tensor checkpoint(const std::function<at::Tensor(const at::Tensor&)>& block, const at::Tensor& input,
                      const std::vector<at::Tensor>& params, CheckpointOptions options) {
  auto outputs = checkpoint([block](const std::vector<at::Tensor>& in) { return std::vector<at::Tensor>{block(in[0])}; },
                            {input}, params, options);
  return outputs.at(0);
}

std::vector<at::Tensor> trainable_tensors(const torch::nn::Module& block) {
  std::vector<at::Tensor> out;
  for (const auto& p : block.parameters())
    if (p.requires_grad()) out.push_back(p);
  return out;
}

namespace {

// Calls visit(holder) for each checkpointed block in the autograd graph behind `output`.
template <class Visit>
void for_each_checkpointed_block(const at::Tensor& output, Visit visit) {
  using CheckpointNode = torch::autograd::CppNode<CheckpointFunction>;
  std::unordered_set<const torch::autograd::Node*> seen;
  std::vector<torch::autograd::Node*> todo;
  if (output.defined() && output.grad_fn()) todo.push_back(output.grad_fn().get());
  while (!todo.empty()) {
    torch::autograd::Node* node = todo.back();
    todo.pop_back();
    if (!seen.insert(node).second) continue;
    if (auto* block = dynamic_cast<CheckpointNode*>(node)) {
      auto it = block->ctx_.saved_data.find("holder");
      if (it != block->ctx_.saved_data.end()) visit(*static_cast<const BlockHolder*>(it->second.toCapsule().get()));
    }
    for (const auto& edge : node->next_edges())
      if (edge.function) todo.push_back(edge.function.get());
  }
}

}  // namespace

size_t checkpointed_blocks(const at::Tensor& output) {
  size_t count = 0;
  for_each_checkpointed_block(output, [&](const BlockHolder&) { ++count; });
  return count;
}

int64_t offloaded_checkpoint_bytes(const at::Tensor& output) {
  int64_t bytes = 0;
  for_each_checkpointed_block(output, [&](const BlockHolder& holder) { bytes += holder.offloaded_bytes; });
  return bytes;
}

bool CheckpointedStack::checkpoint_blocks(bool training) const {
  return m_gradient_checkpointing && training && at::GradMode::is_enabled();
}

namespace {

// Calls set(stack) for every CheckpointedStack in `root`'s tree (root included); returns how many.
template <class Set>
size_t for_each_stack(torch::nn::Module& root, Set set) {
  size_t count = 0;
  auto visit = [&](torch::nn::Module& m) {
    if (auto* stack = dynamic_cast<CheckpointedStack*>(&m)) {
      set(*stack);
      ++count;
    }
  };
  visit(root);
  for (const auto& m : root.modules(/*include_self=*/false)) visit(*m);
  return count;
}

}  // namespace

size_t set_gradient_checkpointing(torch::nn::Module& root, bool on) {
  return for_each_stack(root, [on](CheckpointedStack& s) { s.set_gradient_checkpointing(on); });
}

size_t set_checkpoint_offload(torch::nn::Module& root, bool on) {
  return for_each_stack(root, [on](CheckpointedStack& s) { s.set_checkpoint_offload(on); });
}

}  // namespace vltune::models
