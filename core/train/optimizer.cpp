#include "core/train/optimizer.h"

#include <c10/core/GradMode.h>
#include <cmath>
#include <map>
#include <set>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_writer.h"
#include "core/torch_compat.h"

namespace vltune::train {

AdamW::AdamW(std::vector<OptimizerGroup> groups, AdamWParams params) : m_groups(std::move(groups)), m_params(params) {
  std::set<std::string> seen;
  for (const auto& g : m_groups) {
    if (g.names.size() != g.params.size())
      throw Error("optimizer group " + g.name + ": " + std::to_string(g.names.size()) + " names for " +
                  std::to_string(g.params.size()) + " parameters");
    for (size_t i = 0; i < g.params.size(); ++i) {
      if (!seen.insert(g.names[i]).second) throw Error("optimizer: parameter " + g.names[i] + " appears twice");
      if (!g.params[i].defined() || !at::isFloatingType(g.params[i].scalar_type()))
        throw Error("optimizer: parameter " + g.names[i] + " is not a floating-point tensor");
    }
    m_state.emplace_back(g.params.size());
  }
}

void AdamW::step(double lr_factor) {
  c10::NoGradGuard no_grad;
  const double beta1 = m_params.beta1, beta2 = m_params.beta2;
  for (size_t gi = 0; gi < m_groups.size(); ++gi) {
    const auto& group = m_groups[gi];
    const double lr = group.lr * lr_factor;
    // The parameters with a gradient, updated together by multi-tensor ("foreach") operations: a
    // few launches per group instead of ten per parameter, which on a GPU is what the step costs
    // for hundreds of small LoRA matrices. Element by element the arithmetic is the single-tensor
    // loop's (torch.optim's _multi_tensor_adamw).
    std::vector<at::Tensor> params, grads, exp_avgs, exp_avg_sqs;
    std::vector<at::Scalar> step_sizes, bias_correction2_sqrts;
    for (size_t pi = 0; pi < group.params.size(); ++pi) {
      const at::Tensor& param = group.params[pi];
      const at::Tensor& grad = param.grad();
      if (!grad.defined()) continue;
      State& s = m_state[gi][pi];
      if (!s.exp_avg.defined()) {
        s.exp_avg = at::zeros_like(param, at::MemoryFormat::Preserve);
        s.exp_avg_sq = at::zeros_like(param, at::MemoryFormat::Preserve);
      }
      s.step += 1;  // counted per parameter, as torch does
      const auto t = static_cast<double>(s.step);
      const double bias_correction1 = 1.0 - std::pow(beta1, t);
      const double bias_correction2 = 1.0 - std::pow(beta2, t);
      params.push_back(param);
      grads.push_back(grad);
      exp_avgs.push_back(s.exp_avg);
      exp_avg_sqs.push_back(s.exp_avg_sq);
      step_sizes.emplace_back(-(lr / bias_correction1));
      bias_correction2_sqrts.emplace_back(std::sqrt(bias_correction2));
    }
    // In passes of at most foreach_elements elements: each pass's sqrt(v) is a temporary.
    for (size_t begin = 0; begin < params.size();) {
      size_t end = begin + 1;
      for (int64_t n = params[begin].numel(); end < params.size() && n + params[end].numel() <= m_params.foreach_elements; ++end)
        n += params[end].numel();
      const size_t len = end - begin;
      update(at::TensorList(params).slice(begin, len), at::TensorList(grads).slice(begin, len),
             at::TensorList(exp_avgs).slice(begin, len), at::TensorList(exp_avg_sqs).slice(begin, len),
             at::ArrayRef<at::Scalar>(step_sizes).slice(begin, len),
             at::ArrayRef<at::Scalar>(bias_correction2_sqrts).slice(begin, len), lr * group.weight_decay);
      begin = end;
    }
  }
}

void AdamW::update(at::TensorList params, at::TensorList grads, at::TensorList exp_avgs, at::TensorList exp_avg_sqs,
                   at::ArrayRef<at::Scalar> step_sizes, at::ArrayRef<at::Scalar> bias_correction2_sqrts,
                   double lr_times_decay) const {
  const double beta1 = m_params.beta1, beta2 = m_params.beta2;
  if (lr_times_decay != 0.0) at::_foreach_mul_(params, 1.0 - lr_times_decay);
#if VLTUNE_HAS_FOREACH_LERP
  at::_foreach_lerp_(exp_avgs, grads, 1.0 - beta1);
#else
  for (size_t i = 0; i < exp_avgs.size(); ++i) exp_avgs[i].lerp_(grads[i], 1.0 - beta1);
#endif
  at::_foreach_mul_(exp_avg_sqs, beta2);
  at::_foreach_addcmul_(exp_avg_sqs, grads, grads, 1.0 - beta2);
  std::vector<at::Tensor> denoms = at::_foreach_sqrt(exp_avg_sqs);  // sqrt(v) / sqrt(1 - beta2^t) + eps
  at::_foreach_div_(denoms, bias_correction2_sqrts);
  at::_foreach_add_(denoms, m_params.eps);
  at::_foreach_addcdiv_(params, exp_avgs, denoms, step_sizes);
}

void AdamW::zero_grad() {
  for (auto& g : m_groups)
    for (auto& p : g.params)
      if (p.grad().defined()) p.mutable_grad().reset();
}

int64_t AdamW::step_count() const {
  for (const auto& group : m_state)
    for (const auto& s : group)
      if (s.step > 0) return s.step;
  return 0;
}

void AdamW::save(const std::filesystem::path& file) const {
  io::NamedTensors tensors;
  nlohmann::json steps = nlohmann::json::object();
  for (size_t gi = 0; gi < m_groups.size(); ++gi)
    for (size_t pi = 0; pi < m_groups[gi].params.size(); ++pi) {
      const State& s = m_state[gi][pi];
      if (!s.exp_avg.defined()) continue;
      const std::string& name = m_groups[gi].names[pi];
      tensors.emplace_back(name + ".exp_avg", s.exp_avg);
      tensors.emplace_back(name + ".exp_avg_sq", s.exp_avg_sq);
      steps[name] = s.step;
    }
  io::save_safetensors(file, tensors, {{"format", "vltune-adamw"}, {"steps", steps.dump()}});
}

void AdamW::load(const std::filesystem::path& file) {
  const auto f = io::SafetensorsFile::open(file);
  const std::string where = file.string();
  nlohmann::json steps;
  auto it = f.metadata().find("steps");
  if (it == f.metadata().end()) throw FormatError(where + ": no \"steps\" in the metadata: not an optimizer state");
  try {
    steps = nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception&) {
    throw FormatError(where + ": metadata \"steps\" is not JSON");
  }
  if (!steps.is_object()) throw FormatError(where + ": metadata \"steps\" is not an object");
  std::map<std::string, std::pair<size_t, size_t>> index;
  for (size_t gi = 0; gi < m_groups.size(); ++gi)
    for (size_t pi = 0; pi < m_groups[gi].params.size(); ++pi) index[m_groups[gi].names[pi]] = {gi, pi};
  std::vector<std::vector<State>> state;
  for (const auto& g : m_groups) state.emplace_back(g.params.size());
  for (const auto& [name, step] : steps.items()) {
    auto found = index.find(name);
    if (found == index.end()) throw FormatError(where + ": state for " + name + ", which is not a trained parameter here");
    if (!step.is_number_integer()) throw FormatError(where + ": step of " + name + " is not an integer");
    const auto [gi, pi] = found->second;
    const at::Tensor& param = m_groups[gi].params[pi];
    auto read = [&](const std::string& key) {
      at::Tensor t = f.tensor(key);
      if (t.sizes() != param.sizes() || t.scalar_type() != param.scalar_type())
        throw FormatError(where + ": " + key + " does not match the parameter's shape or dtype");
      return t.to(param.device(), /*non_blocking=*/false, /*copy=*/true).contiguous();
    };
    State& s = state[gi][pi];
    s.step = step.get<int64_t>();
    s.exp_avg = read(name + ".exp_avg");
    s.exp_avg_sq = read(name + ".exp_avg_sq");
  }
  m_state = std::move(state);
}

}  // namespace vltune::train
