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
  size_t input_count = 0;    // the first input_count saved tensors are inputs, the rest params
  bool draws_random = true;  // whether the block draws random numbers (then rng is kept)
  RngState rng;              // the generators before the forward
};

struct CheckpointFunction : torch::autograd::Function<CheckpointFunction> {
  // tensors: inputs then params. Runs with grad mode off (Function::apply turns it off).
  static variable_list forward(AutogradContext* ctx, at::IValue holder_value, at::TensorList tensors) {
    auto* holder = static_cast<BlockHolder*>(holder_value.toCapsule().get());  // alive: holder_value owns it
    if (holder->draws_random) holder->rng = capture_rng_state();
    std::vector<at::Tensor> inputs(tensors.begin(), tensors.begin() + static_cast<ptrdiff_t>(holder->input_count));
    variable_list outputs = holder->block(inputs);
    ctx->save_for_backward(variable_list(tensors.begin(), tensors.end()));
    ctx->saved_data["holder"] = std::move(holder_value);
    return outputs;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto* holder = static_cast<BlockHolder*>(ctx->saved_data["holder"].toCapsule().get());  // owned by ctx
    const variable_list saved = ctx->get_saved_variables();
    const size_t n_inputs = holder->input_count;
    // Fresh leaves for the inputs, so the recomputed graph ends at them.
    std::vector<at::Tensor> inputs;
    for (size_t i = 0; i < n_inputs; ++i)
      inputs.push_back(saved[i].defined() ? saved[i].detach().requires_grad_(saved[i].requires_grad()) : saved[i]);

    variable_list outputs;
    if (!holder->draws_random) {
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
                                   const std::vector<at::Tensor>& params, bool draws_random) {
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
  holder->draws_random = draws_random;
  return CheckpointFunction::apply(at::IValue::make_capsule(std::move(holder)), at::TensorList(tensors));
}

at::Tensor checkpoint(const std::function<at::Tensor(const at::Tensor&)>& block, const at::Tensor& input,
                      const std::vector<at::Tensor>& params, bool draws_random) {
  auto outputs = checkpoint([block](const std::vector<at::Tensor>& in) { return std::vector<at::Tensor>{block(in[0])}; },
                            {input}, params, draws_random);
  return outputs.at(0);
}

std::vector<at::Tensor> trainable_tensors(const torch::nn::Module& block) {
  std::vector<at::Tensor> out;
  for (const auto& p : block.parameters())
    if (p.requires_grad()) out.push_back(p);
  return out;
}

size_t checkpointed_blocks(const at::Tensor& output) {
  using CheckpointNode = torch::autograd::CppNode<CheckpointFunction>;
  size_t count = 0;
  std::unordered_set<const torch::autograd::Node*> seen;
  std::vector<torch::autograd::Node*> todo;
  if (output.defined() && output.grad_fn()) todo.push_back(output.grad_fn().get());
  while (!todo.empty()) {
    torch::autograd::Node* node = todo.back();
    todo.pop_back();
    if (!seen.insert(node).second) continue;
    if (dynamic_cast<CheckpointNode*>(node)) ++count;
    for (const auto& edge : node->next_edges())
      if (edge.function) todo.push_back(edge.function.get());
  }
  return count;
}

bool CheckpointedStack::checkpoint_blocks(bool training) const {
  return m_gradient_checkpointing && training && at::GradMode::is_enabled();
}

size_t set_gradient_checkpointing(torch::nn::Module& root, bool on) {
  size_t count = 0;
  auto visit = [&](torch::nn::Module& m) {
    if (auto* stack = dynamic_cast<CheckpointedStack*>(&m)) {
      stack->set_gradient_checkpointing(on);
      ++count;
    }
  };
  visit(root);
  for (const auto& m : root.modules(/*include_self=*/false)) visit(*m);
  return count;
}

}  // namespace vltune::models
