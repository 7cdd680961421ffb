#include "core/lora/preference_model.h"


#include "core/error.h"
#include "core/lora/sequence_log_probs.h"
#include "core/train/grad_accumulation.h"

namespace vltune::lora {

namespace {

// Rows [from, from + n) of each.
train::AnswerLogProbs rows(const train::AnswerLogProbs& all, int64_t from, int64_t n) {
  return {all.sum.narrow(0, from, n), all.tokens.narrow(0, from, n)};
}

// Restores the active adapters however the reference pass ends.
class AdaptersOff {
 public:
  explicit AdaptersOff(LoraModel& model) : m_model(model), m_active(model.active_adapters()) { model.set_active_adapters({}); }
  ~AdaptersOff() { m_model.set_active_adapters(m_active); }
  AdaptersOff(const AdaptersOff&) = delete;
  AdaptersOff& operator=(const AdaptersOff&) = delete;

 private:
  LoraModel& m_model;
  std::vector<std::string> m_active;
};

}  // namespace

PreferenceModel::PreferenceModel(LoraModel& model, PreferenceParams params) : m_model(model), m_params(params) {
  if (model.family() == io::ModelFamily::clip) throw Error("stage dpo: CLIP is contrastive and has no answers to prefer");
}

void PreferenceModel::set_training(bool on) {
  m_training = on;
  m_model.set_training(on);
}

train::BatchLoss PreferenceModel::loss(const data::Batch& batch) {
  const int64_t b = batch.pairs;
  if (b <= 0 || !batch.input_ids.defined() || batch.input_ids.size(0) != 2 * b)
    throw Error("stage dpo: the batch holds no preference pairs (is the dataset a ranking dataset?)");
  train::AnswerLogProbs reference;
  {
    torch::NoGradGuard no_grad;
    AdaptersOff off(m_model);
    reference = sequence_log_probs(m_model, batch);
  }
  const train::AnswerLogProbs policy = sequence_log_probs(m_model, batch);
  const train::AnswerLogProbs chosen = rows(policy, 0, b);
  const train::AnswerLogProbs rejected = rows(policy, b, b);
  const train::PreferenceLoss pl =
      train::preference_loss(chosen, rejected, rows(reference, 0, b), rows(reference, b, b), m_params.loss);
  torch::Tensor loss = pl.loss;
  if (m_params.ftx > 0)  // LLaMA-Factory: losses += ftx * -(chosen log-prob / chosen length)
    loss = loss + m_params.ftx * (-train::per_token_log_probs(chosen)).mean();

  // Summed on the device (float64, as the host's sum of each read-back value would be) and read
  // when the metrics are taken, after the step: reading them here would wait for the forward.
  MetricSums& into = m_training ? m_train : m_eval;
  train::add_to_sum(into.sums, pl.metrics * static_cast<double>(b));
  into.pairs += static_cast<double>(b);
  return {loss * static_cast<double>(b), b};
}

std::vector<std::pair<std::string, double>> PreferenceModel::take_metrics(bool evaluation) {
  MetricSums& from = evaluation ? m_eval : m_train;
  std::vector<std::pair<std::string, double>> out;
  if (from.pairs > 0 && from.sums.defined()) {
    const auto sums = from.sums.to(torch::kCPU).contiguous();
    const double* v = sums.data_ptr<double>();
    for (size_t i = 0; i < train::kPreferenceMetricNames.size(); ++i)
      out.emplace_back(train::kPreferenceMetricNames[i], v[i] / from.pairs);
  }
  from = {};
  return out;
}

}  // namespace vltune::lora
