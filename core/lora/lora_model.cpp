#include "core/lora/lora_model.h"

#include <algorithm>
#include <optional>

#include "core/data/batch_inputs.h"
#include "core/error.h"
#include "core/lora/adapter_config.h"
#include "core/lora/decoder_pass.h"
#include "core/models/checkpointing.h"

namespace vltune::lora {

namespace fs = std::filesystem;

std::pair<torch::Tensor, int64_t> causal_lm_loss_sum(const torch::Tensor& logits, const torch::Tensor& labels) {
  const int64_t t = logits.size(1);
  // [B, T-1, V] -> [B*(T-1), V] against [B*(T-1)]
  auto shifted_logits = logits.narrow(1, 0, t - 1).to(torch::kFloat32).reshape({-1, logits.size(-1)});
  auto shifted_labels = labels.narrow(1, 1, t - 1).reshape({-1}).to(logits.device());
  namespace F = torch::nn::functional;
  auto sum = F::cross_entropy(shifted_logits, shifted_labels,
                              F::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kSum));
  return {sum, shifted_labels.ne(-100).sum().item<int64_t>()};
}

std::pair<torch::Tensor, int64_t> clip_loss_sum(const torch::Tensor& logits_per_text) {
  const auto logits = logits_per_text.to(torch::kFloat32);
  if (logits.dim() != 2 || logits.size(0) != logits.size(1))
    throw Error("the contrastive loss needs as many texts as images, got " + c10::str(logits.sizes()));
  auto targets = torch::arange(logits.size(0), logits.options().dtype(torch::kLong));
  namespace F = torch::nn::functional;
  const auto sum = F::CrossEntropyFuncOptions().reduction(torch::kSum);
  return {(F::cross_entropy(logits, targets, sum) + F::cross_entropy(logits.t(), targets, sum)) / 2.0, logits.size(0)};
}

LoraModel::LoraModel(FamilyModel model, io::ModelFamily family, fs::path folder)
    : m_model(std::move(model)), m_family(family), m_layout(&models::family_layout(family)), m_folder(std::move(folder)) {
  apply_requires_grad();
}

torch::nn::Module& LoraModel::module() {
  return std::visit([](auto& m) -> torch::nn::Module& { return *m; }, m_model);
}

namespace {

// The device of the first parameter in registration order (the module's own, then each child's,
// depth first), without collecting them all: called for every loss, and a 2B model has about a
// thousand parameters with its adapters.
std::optional<torch::Device> first_parameter_device(const torch::nn::Module& m) {
  for (const auto& p : m.named_parameters(/*recurse=*/false)) return p.value().device();
  for (const auto& child : m.children())
    if (auto d = first_parameter_device(*child)) return d;
  return std::nullopt;
}

}  // namespace

torch::Device LoraModel::device() const { return first_parameter_device(module()).value_or(torch::kCPU); }

const AdapterRecord& LoraModel::add_adapter(const std::string& name, const LoraAdapterParams& params, const LoraTarget& target,
                                            const FreezeParams& freeze) {
  if (m_adapters.count(name)) throw Error("adapter \"" + name + "\" already exists");
  const auto sites = select_sites(module(), layout(), target, freeze);
  std::vector<std::string> modules;
  io::Json targets = io::Json::array();
  for (const auto& s : sites) {
    modules.push_back(s.module_path);
    targets.push_back(s.hf_module_path);
  }
  io::Json config = make_adapter_config(layout(), params, target.kind == LoraTarget::Kind::regex ? io::Json(target.regex) : targets,
                                        m_folder.empty() ? std::string() : m_folder.string());
  AdapterRecord rec = lora::add_adapter(module(), modules, name, params, std::move(config));
  auto& stored = m_adapters.emplace(name, std::move(rec)).first->second;
  m_active.push_back(name);
  set_active_adapters(m_active);
  set_trainable_adapter(name);
  return stored;
}

const AdapterRecord& LoraModel::load_adapter(const fs::path& dir, const std::string& name) {
  if (m_adapters.count(name)) throw Error("adapter \"" + name + "\" already exists");
  AdapterRecord rec = load_peft_adapter(module(), layout(), dir, name);
  auto& stored = m_adapters.emplace(name, std::move(rec)).first->second;
  m_active.push_back(name);
  set_active_adapters(m_active);
  apply_requires_grad();
  return stored;
}

void LoraModel::save_adapter(const std::string& name, const fs::path& dir, PeftKeyLayout keys) const {
  auto& self = const_cast<LoraModel&>(*this);
  save_peft_adapter(self.module(), layout(), self.record(name), dir, keys);
}

void LoraModel::remove_adapter(const std::string& name) {
  const AdapterRecord& rec = record(name);
  const auto linears = lora_linears(module());
  for (const auto& path : rec.modules) linears.at(path)->remove_adapter(name);
  m_adapters.erase(name);
  m_active.erase(std::remove(m_active.begin(), m_active.end(), name), m_active.end());
  if (m_trainable == name) m_trainable.clear();
  apply_requires_grad();
}

std::vector<std::string> LoraModel::adapter_names() const {
  std::vector<std::string> out;
  for (const auto& [name, rec] : m_adapters) out.push_back(name);
  return out;
}

const AdapterRecord& LoraModel::adapter(const std::string& name) const { return const_cast<LoraModel*>(this)->record(name); }

AdapterRecord& LoraModel::record(const std::string& name) {
  auto it = m_adapters.find(name);
  if (it == m_adapters.end()) throw Error("no adapter \"" + name + "\" on this model");
  return it->second;
}

void LoraModel::set_active_adapters(const std::vector<std::string>& names) {
  for (const auto& n : names) record(n);
  for (const auto& [path, l] : lora_linears(module())) {
    std::vector<std::string> here;
    for (const auto& n : names)
      if (l->has_adapter(n)) here.push_back(n);
    l->set_active(here);
    l->set_scale(m_scale);
  }
  m_active = names;
}

void LoraModel::set_adapter_scale(double scale) {
  m_scale = scale;
  for (const auto& [path, l] : lora_linears(module())) l->set_scale(scale);
}

void LoraModel::set_trainable_adapter(const std::string& name) {
  if (!name.empty()) record(name);
  m_trainable = name;
  apply_requires_grad();
}

void LoraModel::set_adapter_compute_dtype(std::optional<torch::ScalarType> dtype) {
  for (const auto& [path, l] : lora_linears(module())) l->set_compute_dtype(dtype);
  m_compute_dtype = dtype;
}

void LoraModel::set_gradient_checkpointing(bool on) {
  models::set_gradient_checkpointing(module(), on);
  m_gradient_checkpointing = on;
}

void LoraModel::set_checkpoint_offload(bool on) { models::set_checkpoint_offload(module(), on); }

void LoraModel::apply_requires_grad() {
  for (auto& p : module().parameters()) p.set_requires_grad(false);
  if (m_trainable.empty()) return;
  const auto linears = lora_linears(module());
  for (const auto& path : record(m_trainable).modules) {
    LoraLinearImpl* l = linears.at(path);
    l->lora_A_weight(m_trainable).set_requires_grad(true);
    l->lora_B_weight(m_trainable).set_requires_grad(true);
    if (l->adapter_params(m_trainable).use_dora) l->lora_magnitude(m_trainable).set_requires_grad(true);
  }
}

void LoraModel::merge_active_adapters() {
  for (const auto& [path, l] : lora_linears(module())) {
    const auto active = l->active();
    // The scale applies to the merge too, so the merged model computes what forward() did.
    if (m_scale != 1.0 && !active.empty())
      throw Error("merge the adapters at scale 1 (set_adapter_scale(1.0)), not " + std::to_string(m_scale));
    l->merge_and_remove(active);
  }
  for (const auto& name : std::vector<std::string>(m_active)) {
    m_adapters.erase(name);
    if (m_trainable == name) m_trainable.clear();
  }
  m_active.clear();
  apply_requires_grad();
}

train::BatchLoss LoraModel::loss(const data::Batch& batch) {
  const auto dev = device();
  train::BatchLoss out;
  if (auto* clip = std::get_if<models::ClipModel>(&m_model)) {
    std::tie(out.loss_sum, out.tokens) = clip_loss_sum((*clip)->forward(data::clip_inputs(batch, dev)).logits_per_text);
    return out;
  }
  if (!batch.labels.defined()) throw Error("the batch has no labels: a causal LM loss needs them");
  // The full logits [B, T, vocab] are never made: the label rows go through lm_head in chunks.
  const DecoderPass pass = decoder_hidden_states(m_model, batch, dev);
  std::tie(out.loss_sum, out.tokens) = chunked_causal_lm_loss_sum(pass.hidden, *pass.lm_head, batch.labels, m_loss_params);
  return out;
}

std::vector<int64_t> LoraModel::generate_greedy(const data::Batch& prompt, int64_t max_new_tokens,
                                               const std::vector<int64_t>& eos_ids) {
  if (!prompt.input_ids.defined() || prompt.input_ids.dim() != 2 || prompt.input_ids.size(0) != 1)
    throw Error("generate_greedy takes a batch of one prompt");
  if (max_new_tokens <= 0) return {};
  const auto dev = device();
  // Dropout off while generating; the caller's mode (training, between steps) comes back after.
  struct ModeGuard {
    torch::nn::Module& m;
    bool was_training;
    ~ModeGuard() { m.train(was_training); }
  } guard{module(), module().is_training()};
  module().eval();
  torch::NoGradGuard no_grad;
  torch::Tensor ids;  // [1, T + new]
  std::visit(
      [&](auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, models::QwenVL>) ids = m->generate_greedy(data::qwen_inputs(prompt, dev), max_new_tokens, eos_ids);
        else if constexpr (std::is_same_v<M, models::Llava>) ids = m->generate_greedy(data::llava_inputs(prompt, dev), max_new_tokens, eos_ids);
        else if constexpr (std::is_same_v<M, models::Idefics3>) ids = m->generate_greedy(data::idefics3_inputs(prompt, dev), max_new_tokens, eos_ids);
        else throw Error("CLIP has no text decoder to generate with");
      },
      m_model);
  const int64_t t = prompt.input_ids.size(1);
  const auto fresh = ids.narrow(1, t, ids.size(1) - t).reshape({-1}).to(torch::kCPU, torch::kLong).contiguous();
  return {fresh.data_ptr<int64_t>(), fresh.data_ptr<int64_t>() + fresh.numel()};
}

std::vector<train::TrainableParam> LoraModel::trainable_parameters() {
  std::vector<train::TrainableParam> out;
  if (m_trainable.empty()) return out;
  const auto linears = lora_linears(module());
  for (const auto& path : record(m_trainable).modules) {
    LoraLinearImpl* l = linears.at(path);
    out.push_back({peft_parameter_name(layout(), path, "lora_A", m_trainable), l->lora_A_weight(m_trainable), train::ParamGroup::lora_A});
    out.push_back({peft_parameter_name(layout(), path, "lora_B", m_trainable), l->lora_B_weight(m_trainable), train::ParamGroup::lora_B});
    if (l->adapter_params(m_trainable).use_dora)
      out.push_back({peft_parameter_name(layout(), path, "lora_magnitude_vector", m_trainable), l->lora_magnitude(m_trainable),
                     train::ParamGroup::dora_magnitude});
  }
  return out;
}

void LoraModel::set_training(bool on) { module().train(on); }

void LoraModel::save_trained(const fs::path& dir) const {
  if (m_trainable.empty()) throw Error("no trainable adapter to save");
  save_adapter(m_trainable, dir);
}

void LoraModel::load_trained(const fs::path& dir) {
  if (m_trainable.empty()) throw Error("no trainable adapter to load into");
  load_peft_adapter_values(module(), layout(), record(m_trainable), dir);
}

}  // namespace vltune::lora
