#include "core/lora/lora_linear.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/error.h"
#include "core/kernels/decode_linear.h"
#include "core/lora/linear_init.h"
#include "core/models/compact_autograd.h"
#include "core/tensor_cast.h"

namespace vltune::lora {

namespace {

// A custom Function's input can't be undefined: no bias goes in as an empty tensor, and back out.
torch::Tensor bias_input(const torch::Tensor& bias, const torch::Tensor& x) {
  return bias.defined() ? bias : torch::empty({0}, x.options());
}
torch::Tensor bias_of_input(const torch::Tensor& bias) { return bias.numel() > 0 ? bias : torch::Tensor(); }

// out = base + linear(down, B) * scaling: the adapter's up-projection in down's dtype, the sum
// written into `out` in its dtype and rounded once, as (base + delta).to(dtype) is.
// down: [..., r], B: [out, r], base and out: [..., out].
void add_up_projection(torch::Tensor out, const torch::Tensor& base, const torch::Tensor& down, const torch::Tensor& B,
                       double scaling) {
  at::add_out(out, base, torch::nn::functional::linear(down, cast(B, down.scalar_type())) * scaling);
}

// scaling * B @ A in the adapter's dtype (PEFT's get_delta_weight before any cast):
// [out, r] @ [r, in] -> [out, in].
torch::Tensor lora_product(const torch::Tensor& a, const torch::Tensor& b, double scaling) {
  return torch::matmul(b, a) * scaling;
}

// y = x W^T + b with W dequantised on the fly, in forward and again in backward, so autograd
// keeps only the quantised form between the two (bitsandbytes' MatMul4Bit does the same). The
// frozen weight gets no gradient; the bias one only if it requires grad.
struct DequantLinear : public torch::autograd::Function<DequantLinear> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& packed,
                               const torch::Tensor& absmax, const torch::Tensor& absmax2, const torch::Tensor& bias,
                               const quant::QuantizedWeight& meta) {
    ctx->save_for_backward({packed, absmax, absmax2});
    ctx->saved_data["type"] = static_cast<int64_t>(meta.type);
    ctx->saved_data["shape"] = meta.shape;
    ctx->saved_data["dtype"] = static_cast<int64_t>(meta.dtype);
    ctx->saved_data["blocksize"] = meta.blocksize;
    ctx->saved_data["double_quant"] = meta.double_quant;
    ctx->saved_data["blocksize2"] = meta.blocksize2;
    ctx->saved_data["offset"] = static_cast<double>(meta.offset);
    return torch::nn::functional::linear(x, weight(meta, packed, absmax, absmax2, x.scalar_type()), bias_of_input(bias));
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    quant::QuantizedWeight meta;
    meta.type = static_cast<quant::QuantType>(ctx->saved_data["type"].toInt());
    meta.shape = ctx->saved_data["shape"].toIntVector();
    meta.dtype = static_cast<torch::ScalarType>(ctx->saved_data["dtype"].toInt());
    meta.blocksize = ctx->saved_data["blocksize"].toInt();
    meta.double_quant = ctx->saved_data["double_quant"].toBool();
    meta.blocksize2 = ctx->saved_data["blocksize2"].toInt();
    meta.offset = static_cast<float>(ctx->saved_data["offset"].toDouble());
    const auto& g = grads[0];  // [..., out]
    torch::Tensor grad_x, grad_bias;
    if (ctx->needs_input_grad(0)) grad_x = torch::matmul(g, weight(meta, saved[0], saved[1], saved[2], g.scalar_type()));
    if (ctx->needs_input_grad(4)) grad_bias = g.reshape({-1, g.size(-1)}).sum(0);
    return {grad_x, {}, {}, {}, grad_bias, {}};
  }

  // [out, in] in `dtype`: dequantised to the dtype quantised from, then cast (bitsandbytes'
  // dequantize_4bit(...).to(A.dtype)).
  static torch::Tensor weight(quant::QuantizedWeight q, const torch::Tensor& packed, const torch::Tensor& absmax,
                              const torch::Tensor& absmax2, torch::ScalarType dtype) {
    q.packed = packed;
    q.absmax = absmax;
    q.absmax2 = absmax2;
    auto w = quant::dequantize(q, q.dtype);
    return cast(w, dtype);
  }
};

// result = linear(x, W, b) + linear(linear(h, A'), B') * scaling, h = x and A', B' the adapter's
// matrices in the compute dtype, as one autograd node (core/models/compact_autograd.h): forward
// runs LoraLinearImpl::forward's operations for one plain adapter, backward the matrix products
// autograd's MmBackward nodes would run (the frozen W gets none), each gradient cast where the
// engine casts it. Only for a contiguous x (what every decoder passes): then every product folds
// into a 2-D mm, as autograd's formulas below assume.
struct LoraLinearFunction : public torch::autograd::Function<LoraLinearFunction> {
  // x: [..., in], weight: [out, in], bias: [out] or empty, A: [r, in], B: [out, r] -> [..., out]
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, const torch::Tensor& A, const torch::Tensor& B, double scaling,
                               int64_t compute_dtype) {
    const auto dtype = static_cast<torch::ScalarType>(compute_dtype);
    const auto result = torch::nn::functional::linear(x, weight, bias_of_input(bias));  // [..., out]
    const auto h = cast(x, dtype);
    const auto a = cast(A, dtype);
    const auto b = cast(B, dtype);
    const auto down = torch::nn::functional::linear(h, a);                    // [..., r]
    const auto sum = result + torch::nn::functional::linear(down, b) * scaling;  // [..., out]
    ctx->save_for_backward({h, weight, a, b, down});
    ctx->saved_data["scaling"] = scaling;
    ctx->saved_data["dtypes"] = std::vector<int64_t>{static_cast<int64_t>(x.scalar_type()), static_cast<int64_t>(result.scalar_type()),
                                                     static_cast<int64_t>(sum.scalar_type()), static_cast<int64_t>(A.scalar_type()),
                                                     static_cast<int64_t>(B.scalar_type())};
    ctx->saved_data["x_sizes"] = x.sizes().vec();
    return cast(sum, result.scalar_type());
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &h = saved[0], &weight = saved[1], &a = saved[2], &b = saved[3], &down = saved[4];
    const auto dtypes = ctx->saved_data["dtypes"].toIntVector();
    const auto x_dtype = static_cast<torch::ScalarType>(dtypes[0]), result_dtype = static_cast<torch::ScalarType>(dtypes[1]),
               sum_dtype = static_cast<torch::ScalarType>(dtypes[2]);
    const int64_t out = weight.size(0), in = weight.size(1), r = a.size(0);
    const auto g = cast(grads[0].reshape({-1, out}), sum_dtype);  // [N, out], through the cast back to result's dtype
    // The sum's two terms; the adapter's through `* scaling` (a scalar keeps the dtype).
    const auto grad_up = cast(g, h.scalar_type()) * ctx->saved_data["scaling"].toDouble();  // [N, out]
    const auto down2 = down.reshape({-1, r});
    torch::Tensor grad_x, grad_a, grad_b;
    if (ctx->needs_input_grad(4)) grad_b = cast(grad_up.t().mm(down2), static_cast<torch::ScalarType>(dtypes[4]));  // [out, r]
    if (ctx->needs_input_grad(0) || ctx->needs_input_grad(3)) {
      const auto grad_down = grad_up.mm(b);  // [N, r]
      if (ctx->needs_input_grad(3)) grad_a = cast(grad_down.t().mm(h.reshape({-1, in})), static_cast<torch::ScalarType>(dtypes[3]));
      if (ctx->needs_input_grad(0)) {
        // x feeds the base product and the adapter's: autograd adds the two (in either order).
        const auto through_base = cast(cast(g, result_dtype).mm(weight), x_dtype);  // [N, in]
        grad_x = (through_base + cast(grad_down.mm(a), x_dtype)).view(ctx->saved_data["x_sizes"].toIntVector());
      }
    }
    return {grad_x, torch::Tensor(), torch::Tensor(), grad_a, grad_b, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

double lora_scaling(const LoraAdapterParams& params) {
  return params.use_rslora ? params.alpha / std::sqrt(static_cast<double>(params.r)) : params.alpha / static_cast<double>(params.r);
}

namespace {

thread_local bool t_skip_linear_init = false;

}  // namespace

SkipLinearInit::SkipLinearInit() : m_previous(t_skip_linear_init) { t_skip_linear_init = true; }
SkipLinearInit::~SkipLinearInit() { t_skip_linear_init = m_previous; }
bool linear_init_skipped() { return t_skip_linear_init; }

LoraLinearImpl::LoraLinearImpl(const torch::nn::LinearOptions& options_) : options(options_) {
  // As torch::nn::LinearImpl::reset(): the same names, shapes and initialisation.
  weight = register_parameter("weight", torch::empty({options.out_features(), options.in_features()}));
  if (options.bias()) bias = register_parameter("bias", torch::empty(options.out_features()));
  else bias = register_parameter("bias", {}, /*requires_grad=*/false);
  if (linear_init_skipped()) return;  // a checkpoint fills them (SkipLinearInit)
  torch::NoGradGuard no_grad;
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const auto fans = torch::nn::init::_calculate_fan_in_and_fan_out(weight);
    const double bound = 1.0 / std::sqrt(static_cast<double>(std::get<0>(fans)));
    torch::nn::init::uniform_(bias, -bound, bound);
  }
}

torch::Tensor LoraLinearImpl::forward(const torch::Tensor& x) {
  // Training one plain adapter: one autograd node for the layer (core/models/compact_autograd.h).
  if (m_active.size() == 1 && !m_quant_meta && x.is_contiguous() && !weight.requires_grad() &&
      !(bias.defined() && bias.requires_grad())) {
    Adapter& a = const_cast<Adapter&>(adapter(m_active.front()));
    if (!a.magnitude.defined() && (a.params.dropout == 0.0 || !is_training()) &&
        models::compact_node_applies({&x, &a.A->weight, &a.B->weight})) {
      const auto dtype = m_compute_dtype.value_or(a.A->weight.scalar_type());
      return LoraLinearFunction::apply(x, weight, bias_input(bias, x), a.A->weight,
                                       a.B->weight, lora_scaling(a.params) * m_scale, static_cast<int64_t>(dtype));
    }
  }
  auto result = m_quant_meta ? DequantLinear::apply(x, m_quant_packed, m_quant_absmax, m_quant_absmax2,
                                                    bias_input(bias, x), *m_quant_meta)
                             : kernels::linear(x, weight, bias);  // [..., out]
  if (m_active.empty()) return result;
  const auto result_dtype = result.scalar_type();
  for (const auto& name : m_active) {
    Adapter& a = const_cast<Adapter&>(adapter(name));
    const double scaling = lora_scaling(a.params) * m_scale;
    // DoRA rescales what came before it, as PEFT's loop does: `result` so far is its base output.
    if (a.magnitude.defined()) {
      result = result + dora_delta(a, x, result, scaling);
      continue;
    }
    // The adapter's dtype (float32), or the compute dtype as under autocast: then no float32 copy
    // of the activations, and the sum stays in the compute dtype instead of promoting the base
    // output to float32 and back.
    const auto dtype = m_compute_dtype.value_or(a.A->weight.scalar_type());
    auto h = cast(x, dtype);  // [..., in]
    if (a.params.dropout > 0.0) h = torch::dropout(h, a.params.dropout, is_training());
    const auto down = torch::nn::functional::linear(h, cast(a.A->weight, dtype));  // [..., r]
    if (m_active.size() == 1 && !at::GradMode::is_enabled()) {
      // Nothing recorded (chat, evaluation): the sum written in the result's dtype by one kernel,
      // rounded once, as (result + delta).to(dtype) is, without a wider copy of the output.
      auto out = torch::empty_like(result);
      add_up_projection(out, result, down, a.B->weight, scaling);
      return out;
    }
    result = result + torch::nn::functional::linear(down, cast(a.B->weight, dtype)) * scaling;  // [..., out]
  }
  return cast(result, result_dtype);
}

torch::Tensor LoraLinearImpl::base_weight(torch::ScalarType dtype) const {
  torch::NoGradGuard no_grad;
  if (m_quant_meta) return quant::dequantize(quantized_weight(), dtype);
  return weight.detach().to(dtype);
}

torch::Tensor LoraLinearImpl::dora_delta(Adapter& a, const torch::Tensor& x, const torch::Tensor& result, double scaling) {
  auto h = x.to(a.A->weight.scalar_type());           // [..., in]
  const torch::Tensor w = base_weight(h.scalar_type());  // [out, in]
  torch::Tensor base_result;                           // [..., out]: the base output without its bias
  if (a.params.dropout > 0.0 && is_training()) {
    // The dropped-out input goes through the base weight again (PEFT does the same).
    h = torch::dropout(h, a.params.dropout, true);
    base_result = torch::nn::functional::linear(h, w);
  } else {
    base_result = bias.defined() ? result - bias : result;
  }
  // ||W + scaling * B @ A|| per output row, held constant for autograd (DoRA, section 4.3).
  torch::Tensor norm;  // [out]
  {
    torch::NoGradGuard no_grad;
    norm = (w + lora_product(a.A->weight, a.B->weight, scaling)).norm(2, {1});
  }
  const auto mag_scale = (a.magnitude / norm).view({1, -1});  // [1, out]
  // [..., in] -> [..., r] -> [..., out]
  return (mag_scale - 1) * base_result + mag_scale * a.B(a.A(h)) * scaling;
}

void LoraLinearImpl::add_adapter(const std::string& name, const LoraAdapterParams& params) {
  const bool name_ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  if (!name_ok) throw Error("LoRA adapter name \"" + name + "\" is not valid (letters, digits, '_' and '-' only)");
  if (has_adapter(name)) throw Error("LoRA adapter \"" + name + "\" already exists on this layer");
  if (params.r < 1) throw Error("LoRA adapter \"" + name + "\": rank r must be at least 1, got " + std::to_string(params.r));
  if (params.dropout < 0.0 || params.dropout >= 1.0)
    throw Error("LoRA adapter \"" + name + "\": lora_dropout must be in [0, 1), got " + std::to_string(params.dropout));
  if (!m_lora_A) {
    m_lora_A = register_module("lora_A", std::make_shared<torch::nn::Module>());
    m_lora_B = register_module("lora_B", std::make_shared<torch::nn::Module>());
  }
  Adapter a;
  a.params = params;
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(weight.device());
  a.A = torch::nn::Linear(torch::nn::LinearOptions(options.in_features(), params.r).bias(false));
  a.B = torch::nn::Linear(torch::nn::LinearOptions(params.r, options.out_features()).bias(false));
  a.A->to(opts.device(), opts.dtype().toScalarType());
  a.B->to(opts.device(), opts.dtype().toScalarType());
  {
    torch::NoGradGuard no_grad;
    // PEFT reset_lora_parameters: init_lora_weights=True: A kaiming-uniform(a = sqrt(5));
    // "gaussian": A normal(0, 1 / r); B zeros.
    if (params.init == LoraInit::gaussian) torch::nn::init::normal_(a.A->weight, 0.0, 1.0 / static_cast<double>(params.r));
    else torch::nn::init::kaiming_uniform_(a.A->weight, std::sqrt(5.0));
    a.B->weight.zero_();
  }
  if (params.use_dora) {
    // PEFT DoraLinearLayer.update_layer: ||W + scaling * B @ A|| per row, with B = 0 the base's.
    if (!m_lora_magnitude) m_lora_magnitude = register_module("lora_magnitude_vector", std::make_shared<torch::nn::Module>());
    auto holder = std::make_shared<torch::nn::Module>();
    a.magnitude = holder->register_parameter("weight", base_weight(torch::kFloat32).norm(2, {1}));
    m_lora_magnitude->register_module(name, holder);
  }
  m_lora_A->register_module(name, a.A);
  m_lora_B->register_module(name, a.B);
  m_adapters.emplace(name, std::move(a));
}

void LoraLinearImpl::remove_adapter(const std::string& name) {
  if (!has_adapter(name)) throw Error("LoRA adapter \"" + name + "\" is not on this layer");
  m_lora_A->unregister_module(name);
  m_lora_B->unregister_module(name);
  if (adapter(name).magnitude.defined()) m_lora_magnitude->unregister_module(name);
  m_adapters.erase(name);
  m_active.erase(std::remove(m_active.begin(), m_active.end(), name), m_active.end());
}

std::vector<std::string> LoraLinearImpl::adapters() const {
  std::vector<std::string> out;
  for (const auto& [name, a] : m_adapters) out.push_back(name);
  return out;
}

void LoraLinearImpl::set_active(const std::vector<std::string>& names) {
  for (const auto& name : names) adapter(name);
  m_active = names;
}

const LoraLinearImpl::Adapter& LoraLinearImpl::adapter(const std::string& name) const {
  auto it = m_adapters.find(name);
  if (it == m_adapters.end()) throw Error("LoRA adapter \"" + name + "\" is not on this layer");
  return it->second;
}

void LoraLinearImpl::add_adapter_output(torch::Tensor out, const torch::Tensor& base, const torch::Tensor& down) const {
  if (m_active.size() != 1)
    throw Error("LoRA layer: adding one adapter's output needs exactly one active adapter, " + std::to_string(m_active.size()) +
                " are active");
  const Adapter& a = adapter(m_active.front());
  add_up_projection(out, base, down, a.B->weight, lora_scaling(a.params) * m_scale);
}

const LoraAdapterParams& LoraLinearImpl::adapter_params(const std::string& name) const { return adapter(name).params; }

torch::Tensor& LoraLinearImpl::lora_A_weight(const std::string& name) { return const_cast<Adapter&>(adapter(name)).A->weight; }

torch::Tensor& LoraLinearImpl::lora_B_weight(const std::string& name) { return const_cast<Adapter&>(adapter(name)).B->weight; }

torch::Tensor& LoraLinearImpl::lora_magnitude(const std::string& name) {
  Adapter& a = const_cast<Adapter&>(adapter(name));
  if (!a.magnitude.defined()) throw Error("LoRA adapter \"" + name + "\" does not use DoRA: it has no magnitude");
  return a.magnitude;
}

torch::Tensor LoraLinearImpl::delta_weight(const std::string& name) const {
  const Adapter& a = adapter(name);
  // PEFT get_delta_weight: (B @ A) * scaling, computed in the adapter's dtype. [out, r] @ [r, in] -> [out, in]
  auto delta = lora_product(a.A->weight, a.B->weight, lora_scaling(a.params));
  return delta.to(weight.scalar_type());
}

void LoraLinearImpl::merge_and_remove(const std::vector<std::string>& names) {
  if (is_quantized() && !names.empty())
    throw Error("cannot merge LoRA adapters into a " + std::to_string(m_quant_meta->type == quant::QuantType::nf4 ? 4 : 8) +
                "-bit base weight: dequantise the base first (load the model without quantization_bit), then merge");
  torch::NoGradGuard no_grad;
  for (const auto& name : names) {
    const Adapter& a = adapter(name);
    if (a.magnitude.defined()) {
      // PEFT's DoRA merge: W' = m / ||W + ΔW|| * (W + ΔW), row by row, ΔW in the adapter's dtype.
      const auto delta = lora_product(a.A->weight, a.B->weight, lora_scaling(a.params));  // [out, in]
      const auto sum = weight.to(delta.scalar_type()) + delta;
      const auto factor = (a.magnitude / sum.norm(2, {1})).view({-1, 1});
      weight.copy_((factor * sum).to(weight.scalar_type()));
    } else {
      weight.add_(delta_weight(name).to(weight.device()));
    }
    remove_adapter(name);
  }
}

void LoraLinearImpl::quantize_base(const QuantParams& params, torch::ScalarType dtype) {
  if (is_quantized()) throw Error("the base weight of this layer is already quantised");
  if (params.bits != 4 && params.bits != 8)
    throw Error("quantization_bit: " + std::to_string(params.bits) + " is not supported (4 or 8)");
  if (params.bits == 4 && params.type != "nf4")
    throw Error("quantization_type: \"" + params.type + "\" is not supported (nf4)");
  torch::NoGradGuard no_grad;
  const auto source = cast(weight.detach(), dtype);
  quant::QuantizedWeight q =
      params.bits == 4 ? quant::quantize_nf4(source, params.blocksize, params.double_quant) : quant::quantize_int8(source);
  const auto empty_f32 = torch::empty({0}, torch::TensorOptions().dtype(torch::kFloat32).device(weight.device()));
  const torch::Tensor absmax2 = q.absmax2.defined() ? q.absmax2 : empty_f32;
  if (!m_quant_packed.defined()) {
    m_quant_packed = register_buffer("quant_packed", q.packed);
    m_quant_absmax = register_buffer("quant_absmax", q.absmax);
    m_quant_absmax2 = register_buffer("quant_absmax2", absmax2);
  } else {
    m_quant_packed.set_data(q.packed);
    m_quant_absmax.set_data(q.absmax);
    m_quant_absmax2.set_data(absmax2);
  }
  q.packed = q.absmax = q.absmax2 = torch::Tensor();
  m_quant_meta = std::move(q);
  // Release the full-precision storage; the parameter keeps its name and dtype.
  weight.set_data(torch::empty({0}, weight.options().dtype(dtype)));
}

quant::QuantizedWeight LoraLinearImpl::quantized_weight() const {
  if (!m_quant_meta) throw Error("the base weight of this layer is not quantised");
  quant::QuantizedWeight q = *m_quant_meta;
  q.packed = m_quant_packed;
  q.absmax = m_quant_absmax;
  q.absmax2 = q.double_quant ? m_quant_absmax2 : torch::Tensor();
  return q;
}

void LoraLinearImpl::dequantize_base() {
  const quant::QuantizedWeight q = quantized_weight();
  torch::NoGradGuard no_grad;
  weight.set_data(quant::dequantize(q, q.dtype));
  for (auto* t : {&m_quant_packed, &m_quant_absmax, &m_quant_absmax2}) t->set_data(torch::empty({0}, t->options()));
  m_quant_meta.reset();
}

}  // namespace vltune::lora
