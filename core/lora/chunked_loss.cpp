#include "core/lora/chunked_loss.h"

#include <algorithm>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include "core/device_transfer.h"
#include "core/error.h"
#include "core/lora/lora_linear.h"
#include "core/rng_state.h"

namespace vltune::lora {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// What backward needs besides the saved tensors, carried in an IValue capsule.
struct HeadHolder : torch::CustomClassHolder {
  LogitsHead head;
  int64_t chunk_rows = 1024;
  RngState rng;  // the generators before the forward: LoRA dropout on the head draws the same masks again
};

torch::Tensor chunk_loss(const LogitsHead& head, const torch::Tensor& rows, const torch::Tensor& targets) {
  namespace F = torch::nn::functional;
  // transformers' ForCausalLMLoss upcasts the logits before the cross-entropy.
  const auto logits = head(rows).to(torch::kFloat32);
  return F::cross_entropy(logits, targets, F::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kSum));
}

// forward sums the chunks' losses keeping nothing of their logits; backward runs each chunk again
// with autograd on and the incoming gradient, so the gradient arithmetic is the unchunked loss's
// (same order of operations per row). Arguments: capsule, rows, targets, params...
struct ChunkedLinearCrossEntropy : torch::autograd::Function<ChunkedLinearCrossEntropy> {
  static torch::Tensor forward(AutogradContext* ctx, at::IValue holder_value, const torch::Tensor& rows,
                               const torch::Tensor& targets, at::TensorList params) {
    auto* holder = static_cast<HeadHolder*>(holder_value.toCapsule().get());  // alive: holder_value owns it
    holder->rng = capture_rng_state();
    auto total = torch::zeros({}, rows.options().dtype(torch::kFloat32));
    for (int64_t start = 0; start < rows.size(0); start += holder->chunk_rows) {
      const int64_t len = std::min(holder->chunk_rows, rows.size(0) - start);
      total.add_(chunk_loss(holder->head, rows.narrow(0, start, len), targets.narrow(0, start, len)));
    }
    variable_list saved{rows, targets};
    saved.insert(saved.end(), params.begin(), params.end());
    ctx->save_for_backward(saved);
    ctx->saved_data["holder"] = std::move(holder_value);
    return total;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto* holder = static_cast<HeadHolder*>(ctx->saved_data["holder"].toCapsule().get());  // owned by ctx
    const variable_list saved = ctx->get_saved_variables();
    const torch::Tensor& rows = saved[0];
    const torch::Tensor& targets = saved[1];
    const variable_list params(saved.begin() + 2, saved.end());
    const auto& grad_out = grad_outputs.at(0);  // scalar: d(result)/d(loss sum)
    // One gradient per forward argument: capsule, rows, targets, then each param.
    variable_list result(3 + params.size());
    const bool rows_grad = rows.requires_grad();
    torch::Tensor grad_rows = rows_grad ? torch::empty_like(rows) : torch::Tensor();

    const RngState now = capture_rng_state();
    restore_rng_state(holder->rng);
    try {
      at::AutoGradMode grad_on(true);
      for (int64_t start = 0; start < rows.size(0); start += holder->chunk_rows) {
        const int64_t len = std::min(holder->chunk_rows, rows.size(0) - start);
        // A fresh leaf per chunk: its graph (this chunk's logits) is freed by grad().
        auto chunk = rows.narrow(0, start, len).detach().requires_grad_(rows_grad);
        variable_list wrt;
        if (rows_grad) wrt.push_back(chunk);
        wrt.insert(wrt.end(), params.begin(), params.end());
        const auto loss = chunk_loss(holder->head, chunk, targets.narrow(0, start, len));
        const variable_list g = torch::autograd::grad({loss}, wrt, {grad_out}, /*retain_graph=*/false,
                                                      /*create_graph=*/false, /*allow_unused=*/true);
        size_t k = 0;
        if (rows_grad) {
          if (g[k].defined()) grad_rows.narrow(0, start, len).copy_(g[k]);
          else grad_rows.narrow(0, start, len).zero_();
          ++k;
        }
        for (size_t i = 0; i < params.size(); ++i, ++k) {
          if (!g[k].defined()) continue;
          auto& acc = result[3 + i];
          acc = acc.defined() ? acc.add_(g[k]) : g[k];
        }
      }
    } catch (...) {
      restore_rng_state(now);
      throw;
    }
    restore_rng_state(now);
    result[1] = grad_rows;
    // No rows (every label ignored): zero gradients, as the unchunked loss gives.
    for (size_t i = 0; i < params.size(); ++i)
      if (!result[3 + i].defined()) result[3 + i] = torch::zeros_like(params[i]);
    return result;
  }
};

}  // namespace

int64_t chunk_rows_for(const ChunkedLossParams& p, int64_t vocab) {
  if (p.chunk_rows < 1) throw Error("chunked loss: chunk_rows must be at least 1, got " + std::to_string(p.chunk_rows));
  if (p.chunk_logit_bytes < 1)
    throw Error("chunked loss: chunk_logit_bytes must be at least 1, got " + std::to_string(p.chunk_logit_bytes));
  const int64_t by_bytes = p.chunk_logit_bytes / (std::max<int64_t>(1, vocab) * int64_t{4});
  return std::max<int64_t>(1, std::min(p.chunk_rows, by_bytes));
}

torch::Tensor chunked_linear_cross_entropy_sum(const torch::Tensor& rows, const LogitsHead& head,
                                               const std::vector<torch::Tensor>& params, const torch::Tensor& targets,
                                               const ChunkedLossParams& p) {
  if (p.chunk_rows < 1) throw Error("chunked loss: chunk_rows must be at least 1, got " + std::to_string(p.chunk_rows));
  if (rows.dim() != 2 || targets.dim() != 1 || rows.size(0) != targets.size(0))
    throw Error("chunked loss: rows [N, hidden] and targets [N] expected, got " + c10::str(rows.sizes()) + " and " +
                c10::str(targets.sizes()));
  const auto t = targets.to(rows.device(), torch::kLong);
  std::vector<torch::Tensor> trainable;
  for (const auto& q : params)
    if (q.defined() && q.requires_grad()) trainable.push_back(q);
  if (!at::GradMode::is_enabled() || (!rows.requires_grad() && trainable.empty())) {
    torch::NoGradGuard no_grad;
    auto total = torch::zeros({}, rows.options().dtype(torch::kFloat32));
    for (int64_t start = 0; start < rows.size(0); start += p.chunk_rows) {
      const int64_t len = std::min(p.chunk_rows, rows.size(0) - start);
      total.add_(chunk_loss(head, rows.narrow(0, start, len), t.narrow(0, start, len)));
    }
    return total;
  }
  auto holder = c10::make_intrusive<HeadHolder>();
  holder->head = head;
  holder->chunk_rows = p.chunk_rows;
  return ChunkedLinearCrossEntropy::apply(at::IValue::make_capsule(std::move(holder)), rows, t, at::TensorList(trainable));
}

std::pair<torch::Tensor, int64_t> chunked_causal_lm_loss_sum(const torch::Tensor& hidden, LoraLinearImpl& lm_head,
                                                             const torch::Tensor& labels, const ChunkedLossParams& p) {
  if (hidden.dim() != 3 || labels.dim() != 2 || hidden.size(0) != labels.size(0) || hidden.size(1) != labels.size(1))
    throw Error("chunked loss: hidden [B, T, hidden] and labels [B, T] expected, got " + c10::str(hidden.sizes()) + " and " +
                c10::str(labels.sizes()));
  const int64_t t = hidden.size(1);
  // Position i predicts label i + 1; keep only the positions with a label. They are picked on the
  // host, from CPU labels (labels on a device are read back): a boolean index on the device would
  // wait for it to count them.
  const auto host = labels.to(torch::kCPU, torch::kLong).contiguous();
  const auto l = host.accessor<int64_t, 2>();
  std::vector<int64_t> picked, wanted;  // rows of hidden as [B*T, hidden], and their next tokens
  for (int64_t b = 0; b < l.size(0); ++b)
    for (int64_t j = 0; j + 1 < t; ++j)
      if (l[b][j + 1] != -100) {
        picked.push_back(b * t + j);
        wanted.push_back(l[b][j + 1]);
      }
  const auto rows = hidden.reshape({-1, hidden.size(-1)}).index_select(0, to_device(torch::tensor(picked, torch::kLong), hidden.device()));  // [N, hidden]
  const auto targets = to_device(torch::tensor(wanted, torch::kLong), hidden.device());  // [N]
  std::vector<torch::Tensor> params;
  for (const auto& q : lm_head.parameters())
    if (q.requires_grad()) params.push_back(q);
  // Backward runs the head again: hold the module, not a reference to it.
  auto head = std::static_pointer_cast<LoraLinearImpl>(lm_head.shared_from_this());
  ChunkedLossParams sized = p;
  sized.chunk_rows = chunk_rows_for(p, lm_head.options.out_features());
  auto sum = chunked_linear_cross_entropy_sum(rows, [head](const torch::Tensor& x) { return head->forward(x); }, params, targets, sized);
  return {sum, targets.size(0)};
}

}  // namespace vltune::lora
