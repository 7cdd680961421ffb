#include "core/lora/lora_linear.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/error.h"

namespace vltune::lora {

double lora_scaling(const LoraAdapterParams& params) {
  return params.use_rslora ? params.alpha / std::sqrt(static_cast<double>(params.r)) : params.alpha / static_cast<double>(params.r);
}

LoraLinearImpl::LoraLinearImpl(const torch::nn::LinearOptions& options_) : options(options_) {
  // As torch::nn::LinearImpl::reset(): the same names, shapes and initialisation.
  weight = register_parameter("weight", torch::empty({options.out_features(), options.in_features()}));
  if (options.bias()) bias = register_parameter("bias", torch::empty(options.out_features()));
  else bias = register_parameter("bias", {}, /*requires_grad=*/false);
  torch::NoGradGuard no_grad;
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const auto fans = torch::nn::init::_calculate_fan_in_and_fan_out(weight);
    const double bound = 1.0 / std::sqrt(static_cast<double>(std::get<0>(fans)));
    torch::nn::init::uniform_(bias, -bound, bound);
  }
}

torch::Tensor LoraLinearImpl::forward(const torch::Tensor& x) {
  auto result = torch::nn::functional::linear(x, weight, bias);  // [..., out]
  if (m_active.empty()) return result;
  const auto result_dtype = result.scalar_type();
  for (const auto& name : m_active) {
    Adapter& a = const_cast<Adapter&>(adapter(name));
    auto h = x.to(a.A->weight.scalar_type());  // [..., in], in the adapter's dtype
    if (a.params.dropout > 0.0) h = torch::dropout(h, a.params.dropout, is_training());
    // [..., in] -> [..., r] -> [..., out]
    result = result + a.B(a.A(h)) * (lora_scaling(a.params) * m_scale);
  }
  return result.to(result_dtype);
}

void LoraLinearImpl::add_adapter(const std::string& name, const LoraAdapterParams& params) {
  const bool name_ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  if (!name_ok) throw Error("LoRA adapter name \"" + name + "\" is not valid (letters, digits, '_' and '-' only)");
  if (has_adapter(name)) throw Error("LoRA adapter \"" + name + "\" already exists on this layer");
  if (params.r < 1) throw Error("LoRA adapter \"" + name + "\": rank r must be at least 1, got " + std::to_string(params.r));
  if (params.use_dora)
    throw Error("LoRA adapter \"" + name + "\": use_dora (DoRA) is not supported; train a plain LoRA (use_dora: false)");
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
    // PEFT reset_lora_parameters(init_lora_weights=True): A kaiming-uniform(a = sqrt(5)), B zeros.
    torch::nn::init::kaiming_uniform_(a.A->weight, std::sqrt(5.0));
    a.B->weight.zero_();
  }
  m_lora_A->register_module(name, a.A);
  m_lora_B->register_module(name, a.B);
  m_adapters.emplace(name, std::move(a));
}

void LoraLinearImpl::remove_adapter(const std::string& name) {
  if (!has_adapter(name)) throw Error("LoRA adapter \"" + name + "\" is not on this layer");
  m_lora_A->unregister_module(name);
  m_lora_B->unregister_module(name);
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

const LoraAdapterParams& LoraLinearImpl::adapter_params(const std::string& name) const { return adapter(name).params; }

torch::Tensor& LoraLinearImpl::lora_A_weight(const std::string& name) { return const_cast<Adapter&>(adapter(name)).A->weight; }

torch::Tensor& LoraLinearImpl::lora_B_weight(const std::string& name) { return const_cast<Adapter&>(adapter(name)).B->weight; }

torch::Tensor LoraLinearImpl::delta_weight(const std::string& name) const {
  const Adapter& a = adapter(name);
  // PEFT get_delta_weight: (B @ A) * scaling, computed in the adapter's dtype. [out, r] @ [r, in] -> [out, in]
  auto delta = torch::matmul(a.B->weight, a.A->weight) * lora_scaling(a.params);
  return delta.to(weight.scalar_type());
}

void LoraLinearImpl::merge_and_remove(const std::vector<std::string>& names) {
  torch::NoGradGuard no_grad;
  for (const auto& name : names) {
    weight.add_(delta_weight(name).to(weight.device()));
    remove_adapter(name);
  }
}

}  // namespace vltune::lora
