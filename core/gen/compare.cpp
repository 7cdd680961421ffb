#include "core/gen/compare.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <optional>

#include "core/error.h"
#include "core/lora/lora_model.h"

namespace vltune::gen {

AdapterStateGuard::AdapterStateGuard(lora::LoraModel& model)
    : m_model(model), m_active(model.active_adapters()), m_scale(model.adapter_scale()) {}

AdapterStateGuard::~AdapterStateGuard() {
  m_model.set_adapter_scale(m_scale);
  m_model.set_active_adapters(m_active);
}

std::string adapter_name_for(const std::filesystem::path& dir, const std::vector<std::string>& taken) {
  const std::filesystem::path clean = dir.lexically_normal();
  std::string base = clean.filename().string();
  if (base.empty()) base = clean.parent_path().filename().string();  // "saves/run/"
  for (char& c : base)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
  if (base.empty()) base = "adapter";
  std::string name = base;
  for (int k = 2; std::find(taken.begin(), taken.end(), name) != taken.end(); ++k) name = base + "-" + std::to_string(k);
  return name;
}

void activate(lora::LoraModel& model, const CompareColumn& column) {
  const auto names = model.adapter_names();
  for (const auto& a : column.adapters)
    if (std::find(names.begin(), names.end(), a) == names.end())
      throw Error("compare column \"" + column.label + "\": the model has no adapter \"" + a + "\"");
  model.set_adapter_scale(column.scale);
  model.set_active_adapters(column.adapters);
}

std::vector<GenerationResult> generate_columns(lora::LoraModel& model, const std::vector<CompareColumn>& columns,
                                               const std::vector<data::Batch>& prompts, const text::Tokenizer& tokenizer,
                                               const GenerationParams& params, const ColumnTokenCallback& on_token,
                                               std::stop_token stop) {
  if (columns.empty()) throw Error("compare: no columns to answer with");
  if (prompts.size() != 1 && prompts.size() != columns.size())
    throw Error("compare: " + std::to_string(prompts.size()) + " prompts for " + std::to_string(columns.size()) +
                " columns (give one, or one per column)");
  validate(params);

  // Every model involved gets its adapters, scale and mode back, whatever happens.
  std::map<lora::LoraModel*, std::pair<std::unique_ptr<AdapterStateGuard>, std::unique_ptr<EvalModeGuard>>> guards;
  auto model_of = [&](const CompareColumn& c) -> lora::LoraModel& { return c.model ? *c.model : model; };
  for (const auto& c : columns) {
    lora::LoraModel& m = model_of(c);
    auto& g = guards[&m];
    if (!g.first) g = {std::make_unique<AdapterStateGuard>(m), std::make_unique<EvalModeGuard>(m)};
    activate(m, c);  // checks every column's adapters before anything runs
  }

  std::vector<std::unique_ptr<Decoding>> decodings;
  std::vector<bool> live;
  for (size_t i = 0; i < columns.size(); ++i) {
    lora::LoraModel& m = model_of(columns[i]);
    activate(m, columns[i]);
    TokenCallback forward;
    if (on_token) forward = [&on_token, i](const TokenEvent& e) { on_token(i, e); };
    const data::Batch& prompt = prompts.size() == 1 ? prompts[0] : prompts[i];
    decodings.push_back(std::make_unique<Decoding>(decode_model(m, prompt), &tokenizer, params, std::move(forward)));
    live.push_back(decodings.back()->start(stop));
  }
  // Round robin, a token per column: the adapters are switched before each step, so a step never
  // runs with another column's adapters (the prompt's cache was filled with the column's own).
  for (bool any = true; any;) {
    any = false;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (!live[i]) continue;
      activate(model_of(columns[i]), columns[i]);
      live[i] = decodings[i]->advance(stop);
      any = any || live[i];
    }
  }
  std::vector<GenerationResult> results;
  for (const auto& d : decodings) results.push_back(d->result());
  return results;
}

}  // namespace vltune::gen
