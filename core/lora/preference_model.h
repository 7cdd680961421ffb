#pragma once
// DPO's model: a TrainableModel over a LoraModel whose loss on a preference batch (data::Batch
// with pairs > 0: the B chosen rows, then the B rejected ones) is LLaMA-Factory's
// CustomDPOTrainer.compute_loss:
//   reference = each answer's summed log-probability with every adapter switched off, without
//               autograd (PEFT's disable_adapter(): the base is the reference, no second copy)
//   policy    = the same with the adapters on, with autograd
//   loss      = TRL's preference loss on them (train::preference_loss) + pref_ftx times the
//               chosen answers' per-token negative log-likelihood, averaged over the pairs
// and TRL's metrics (rewards/chosen, rewards/rejected, rewards/accuracies, rewards/margins,
// logps/chosen, logps/rejected), averaged over the pairs seen since the trainer last took them.
// Everything else (parameters, saving, modes) is the LoraModel's.

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/lora/lora_model.h"
#include "core/train/preference_loss.h"
#include "core/train/trainable.h"

namespace vltune::lora {

struct PreferenceParams {
  train::PreferenceLossParams loss;  // pref_beta, dpo_label_smoothing, pref_loss
  double ftx = 0.0;                  // pref_ftx: weight of the chosen answers' SFT loss (0 = none)
};

class PreferenceModel final : public train::TrainableModel {
 public:
  // `model` must outlive this and have its trainable adapter set.
  PreferenceModel(LoraModel& model, PreferenceParams params);

  // loss_sum = the mean pair loss x pairs, tokens = pairs, so that the trainer's division by the
  // accumulated window's count averages over its pairs. Throws vltune::Error for a batch that is
  // not a preference batch.
  train::BatchLoss loss(const data::Batch& batch) override;
  int64_t loss_tokens(const data::Batch& batch) const override { return batch.pairs; }
  std::vector<std::pair<std::string, double>> take_metrics(bool evaluation) override;
  std::vector<train::TrainableParam> trainable_parameters() override { return m_model.trainable_parameters(); }
  void set_training(bool on) override;
  void save_trained(const std::filesystem::path& dir) const override { m_model.save_trained(dir); }
  void load_trained(const std::filesystem::path& dir) override { m_model.load_trained(dir); }

 private:
  // Pair-weighted sums of the metrics (rewards/..., logps/...), in the order they are reported.
  struct MetricSums {
    double pairs = 0;
    torch::Tensor sums;  // [6] float64 on the model's device, kPreferenceMetricNames' order (undefined: none yet)
  };

  LoraModel& m_model;
  PreferenceParams m_params;
  bool m_training = true;
  MetricSums m_train;
  MetricSums m_eval;
};

}  // namespace vltune::lora
