#include "core/models/compact_autograd.h"


#include "core/env_switch.h"
#include "core/models/blocks.h"

namespace vltune::models {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// weight * R(h * r), h = x in float32, r = rsqrt(mean(h^2) + eps). Backward is autograd's chain
// for the eight operations RMSNormImpl::forward records, written out; h is recomputed from x.
struct RmsNormFunction : public torch::autograd::Function<RmsNormFunction> {
  // x: [..., D], weight: [D] -> [..., D]
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight, double eps) {
    const auto h = x.to(torch::kFloat32);
    const auto r = torch::rsqrt(h.pow(2).mean(/*dim=*/-1, /*keepdim=*/true) + eps);  // [..., 1]
    ctx->save_for_backward({x, weight, r});
    return weight * (h * r).to(x.scalar_type());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &weight = saved[1], &r = saved[2];
    const torch::Tensor& g = grads[0];  // [..., D]
    const auto h = x.to(torch::kFloat32);
    torch::Tensor grad_x, grad_weight;
    if (ctx->needs_input_grad(1)) {
      // y = weight * hn: weight's gradient g * hn, summed over the broadcast dimensions.
      const auto hn = (h * r).to(x.scalar_type());
      grad_weight = at::sum_to(g * hn, weight.sizes()).to(weight.scalar_type());
    }
    if (ctx->needs_input_grad(0)) {
      const auto grad_hn = (g * weight).to(x.scalar_type()).to(torch::kFloat32);  // through hn's cast back to float32
      const auto grad_r = at::sum_to(grad_hn * h, r.sizes());                     // [..., 1]
      const auto grad_variance = -0.5 * grad_r * r.pow(3);                        // rsqrt's derivative
      const auto grad_square = grad_variance.expand(h.sizes()) / h.size(-1);      // mean's
      // h feeds h * r and h.pow(2): autograd adds the two (in either order: two terms).
      grad_x = (grad_hn * r + grad_square * (2.0 * h.pow(1.0))).to(x.scalar_type());
    }
    return {grad_x, grad_weight, torch::Tensor()};
  }
};

// x * cos + rotate_half(x) * sin. rotate_half's backward is the opposite rotation: autograd's
// slices place each half's gradient into zeros and add them, which is the concatenation below.
struct RotaryFunction : public torch::autograd::Function<RotaryFunction> {
  // x: [..., D], cos/sin broadcasting to x -> [..., D]
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
    ctx->save_for_backward({cos, sin});
    ctx->saved_data["dtype"] = static_cast<int64_t>(x.scalar_type());
    return x * cos + rotate_half(x) * sin;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto dtype = static_cast<torch::ScalarType>(ctx->saved_data["dtype"].toInt());
    const torch::Tensor& g = grads[0];
    const auto through_cos = (g * saved[0]).to(dtype);  // [..., D]
    const auto rotated = (g * saved[1]).to(dtype);      // rotate_half(x)'s gradient
    const int64_t d = rotated.size(-1), half = d / 2, second = d - half;
    // rotate_half(x) = [-x2, x1]: x1's gradient is the second part, x2's the first negated.
    const auto grad_x = through_cos + torch::cat({rotated.narrow(-1, second, half), -rotated.narrow(-1, 0, second)}, -1);
    return {grad_x, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

bool compact_autograd_enabled() { return switch_on(Switch::compact_autograd); }

void set_compact_autograd(bool on) { set_switch(Switch::compact_autograd, on); }

bool compact_node_applies(std::initializer_list<const torch::Tensor*> inputs) {
  if (!compact_autograd_enabled() || !at::GradMode::is_enabled()) return false;
  for (const torch::Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

torch::Tensor rms_norm_node(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return RmsNormFunction::apply(x, weight, eps);
}

bool rotary_node_fits(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  if (cos.requires_grad() || sin.requires_grad() || x.dim() == 0) return false;
  return x.sizes().equals(at::infer_size(x.sizes(), cos.sizes())) && x.sizes().equals(at::infer_size(x.sizes(), sin.sizes()));
}

torch::Tensor rotary_node(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  return RotaryFunction::apply(x, cos, sin);
}

}  // namespace vltune::models
