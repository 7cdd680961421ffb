// validate_train_config: the ranges of each setting and the combinations that contradict each
// other. Rules taken from LLaMA-Factory (its __post_init__ checks and hparams/parser.py) and
// transformers' TrainingArguments.__post_init__ are marked so; the rest are ranges any value
// outside of would make the trainer fail later, with a less helpful message.

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/train/config_scalars.h"
#include "core/train/train_config.h"

namespace vltune::train {
namespace {

class Checker {
 public:
  Checker(const std::function<std::string(std::string_view)>& where) : m_where(where) {}

  [[noreturn]] void fail(std::string_view key, const std::string& what) const {
    const std::string place = m_where ? m_where(key) : std::string();
    throw FormatError((place.empty() ? "" : place + ": ") + std::string(key) + " " + what);
  }

  void at_least(std::string_view key, int64_t value, int64_t low) const {
    if (value < low) fail(key, "must be at least " + std::to_string(low) + ", not " + std::to_string(value));
  }
  void at_least(std::string_view key, const std::optional<int64_t>& value, int64_t low) const {
    if (value) at_least(key, *value, low);
  }
  // low <= value (< high when `high_open`, else <= high).
  void in_range(std::string_view key, double value, double low, double high, bool high_open) const {
    const bool ok = std::isfinite(value) && value >= low && (high_open ? value < high : value <= high);
    if (!ok)
      fail(key, "must be in [" + detail::format_double(low) + ", " + detail::format_double(high) +
                    (high_open ? ")" : "]") + ", not " + detail::format_double(value));
  }
  void positive(std::string_view key, double value) const {
    if (!(std::isfinite(value) && value > 0)) fail(key, "must be positive, not " + detail::format_double(value));
  }
  void non_negative(std::string_view key, double value) const {
    if (!(std::isfinite(value) && value >= 0)) fail(key, "must be 0 or more, not " + detail::format_double(value));
  }
  // Names, none empty, none with a comma (so that the comma list written back reads the same).
  void names(std::string_view key, const std::vector<std::string>& list, bool required) const {
    if (required && list.empty()) fail(key, "is empty");
    for (const auto& name : list)
      if (name.empty() || name.find(',') != std::string::npos)
        fail(key, "has an item that is not a name: \"" + name + "\"");
  }

 private:
  const std::function<std::string(std::string_view)>& m_where;
};

}  // namespace

void validate_train_config(const TrainConfig& c, ConfigReport* report,
                           const std::function<std::string(std::string_view key)>& where) {
  const Checker check(where);
  const auto warn = [&](std::string_view key, const std::string& what) {
    if (!report) return;
    const std::string place = where ? where(key) : std::string();
    report->warnings.push_back((place.empty() ? "" : place + ": ") + what);
  };

  // ### model
  check.names("adapter_name_or_path", c.adapter_name_or_path, false);
  check.at_least("image_max_pixels", c.image_max_pixels, 1);
  check.at_least("image_min_pixels", c.image_min_pixels, 1);
  if (c.use_unsloth_gc && c.disable_gradient_checkpointing)  // LLaMA-Factory ignores it the same way
    warn("use_unsloth_gc", "use_unsloth_gc does nothing with gradient checkpointing off (disable_gradient_checkpointing: true)");
  if (c.image_max_pixels < c.image_min_pixels)  // LLaMA-Factory ProcessorArguments
    check.fail("image_max_pixels", "(" + std::to_string(c.image_max_pixels) + ") cannot be smaller than image_min_pixels (" +
                                       std::to_string(c.image_min_pixels) + ")");
  if (c.quantization_bit && *c.quantization_bit != 4 && *c.quantization_bit != 8)  // LLaMA-Factory
    check.fail("quantization_bit", "must be 4 or 8, not " + std::to_string(*c.quantization_bit));
  if (c.quantization_type != "nf4" && c.quantization_type != "fp4")
    check.fail("quantization_type", "must be nf4 or fp4, not \"" + c.quantization_type + "\"");
  if (c.quantization_bit && c.finetuning_type != FinetuningType::lora)  // LLaMA-Factory parser.py
    check.fail("quantization_bit", "needs finetuning_type: lora (a quantised base cannot be trained itself)");
  if (!c.adapter_name_or_path.empty() && c.finetuning_type != FinetuningType::lora)  // LLaMA-Factory parser.py
    check.fail("adapter_name_or_path", "needs finetuning_type: lora");

  // ### method
  check.at_least("lora_rank", c.lora_rank, 1);
  if (c.lora_alpha && *c.lora_alpha < 0)
    check.fail("lora_alpha", "must be positive (leave it out for 2 x lora_rank), not " + std::to_string(*c.lora_alpha));
  check.in_range("lora_dropout", c.lora_dropout, 0.0, 1.0, /*high_open=*/true);
  check.names("lora_target", c.lora_target, true);
  if (c.lora_target.size() > 1 && std::find(c.lora_target.begin(), c.lora_target.end(), "all") != c.lora_target.end())
    check.fail("lora_target", "cannot mix \"all\" with module names");
  check.names("additional_target", c.additional_target, false);
  if (c.loraplus_lr_ratio) check.positive("loraplus_lr_ratio", *c.loraplus_lr_ratio);
  check.non_negative("loraplus_lr_embedding", c.loraplus_lr_embedding);
  if (c.finetuning_type != FinetuningType::lora) {  // LLaMA-Factory FinetuningArguments
    if (c.loraplus_lr_ratio) check.fail("loraplus_lr_ratio", "is only for finetuning_type: lora");
    if (c.use_rslora) check.fail("use_rslora", "is only for finetuning_type: lora");
    if (c.use_dora) check.fail("use_dora", "is only for finetuning_type: lora");
    if (c.init_lora_weights != LoraInitWeights::kaiming) check.fail("init_lora_weights", "is only for finetuning_type: lora");
  }
  check.positive("pref_beta", c.pref_beta);
  check.non_negative("pref_ftx", c.pref_ftx);
  check.in_range("dpo_label_smoothing", c.dpo_label_smoothing, 0.0, 0.5, /*high_open=*/false);
  if (c.dpo_label_smoothing > 0 && c.pref_loss != PrefLoss::sigmoid)
    check.fail("dpo_label_smoothing", "is only for pref_loss: sigmoid");
  if (c.freeze_trainable_layers == 0)
    check.fail("freeze_trainable_layers", "must not be 0 (n > 0: the last n layers train; n < 0: the first n)");
  check.names("freeze_trainable_modules", c.freeze_trainable_modules, true);
  check.names("freeze_extra_modules", c.freeze_extra_modules, false);
  if (c.freeze_vision_tower && c.freeze_multi_modal_projector && c.freeze_language_model && !c.train_mm_proj_only)
    check.fail("freeze_language_model",
               "leaves nothing to train: freeze_vision_tower and freeze_multi_modal_projector are true as well");

  // ### dataset
  check.names("dataset", c.dataset, false);
  check.names("eval_dataset", c.eval_dataset, false);
  if (c.dataset_dir.empty()) check.fail("dataset_dir", "is empty (LLaMA-Factory's default is \"data\")");
  check.at_least("cutoff_len", c.cutoff_len, 1);
  check.at_least("max_samples", c.max_samples, 1);
  check.at_least("preprocessing_num_workers", c.preprocessing_num_workers, 1);
  if (!std::isfinite(c.val_size) || c.val_size < 0)
    check.fail("val_size", "must be a fraction in [0, 1) or a sample count, not " + detail::format_double(c.val_size));
  if (c.val_size >= 1 && std::trunc(c.val_size) != c.val_size)
    check.fail("val_size", "of 1 or more is a sample count and must be whole, not " + detail::format_double(c.val_size));
  if (c.val_size > 0 && !c.eval_dataset.empty())  // LLaMA-Factory DataArguments
    check.fail("val_size", "cannot be set together with eval_dataset (one or the other validates)");
  if (c.mask_history && c.train_on_prompt)  // LLaMA-Factory DataArguments
    check.fail("mask_history", "cannot be combined with train_on_prompt");
  check.at_least("preprocessing_batch_size", c.preprocessing_batch_size, 1);
  if ((c.packing || c.neat_packing) && c.stage != Stage::sft)  // LLaMA-Factory packs only its supervised data
    check.fail(c.neat_packing ? "neat_packing" : "packing", "packs supervised samples (stage: sft); preference pairs are not packed");
  if ((c.packing || c.neat_packing) && c.cutoff_len < 2)
    check.fail("cutoff_len", "must be at least 2 with packing (a packed row holds cutoff_len - 1 tokens)");

  // ### output
  check.at_least("logging_steps", c.logging_steps, 1);
  check.at_least("save_steps", c.save_steps, 1);
  check.at_least("save_total_limit", c.save_total_limit, 1);

  // ### train
  check.at_least("per_device_train_batch_size", c.per_device_train_batch_size, 1);
  check.at_least("gradient_accumulation_steps", c.gradient_accumulation_steps, 1);
  check.positive("learning_rate", c.learning_rate);
  if (c.max_steps == 0)
    check.fail("max_steps", "= 0 trains nothing (a step count, or -1 to train num_train_epochs)");
  if (c.max_steps < 0) check.positive("num_train_epochs", c.num_train_epochs);
  check.in_range("warmup_ratio", c.warmup_ratio, 0.0, 1.0, /*high_open=*/false);  // transformers
  check.at_least("warmup_steps", c.warmup_steps, 0);
  if (c.warmup_steps > 0 && c.warmup_ratio > 0)  // transformers logs the same
    warn("warmup_steps", "warmup_steps (" + std::to_string(c.warmup_steps) + ") overrides warmup_ratio (" +
                             detail::format_double(c.warmup_ratio) + ")");
  check.non_negative("weight_decay", c.weight_decay);
  check.in_range("adam_beta1", c.adam_beta1, 0.0, 1.0, /*high_open=*/true);  // torch.optim.AdamW
  check.in_range("adam_beta2", c.adam_beta2, 0.0, 1.0, /*high_open=*/true);
  check.non_negative("adam_epsilon", c.adam_epsilon);
  check.non_negative("max_grad_norm", c.max_grad_norm);
  if (c.bf16 && c.fp16) check.fail("fp16", "and bf16 are both true: choose one precision");
  if (c.pure_bf16 && c.fp16) check.fail("fp16", "and pure_bf16 are both true: choose one precision");
  check.at_least("dataloader_num_workers", c.dataloader_num_workers, 0);

  // ### eval
  check.at_least("eval_steps", c.eval_steps, 1);
  check.at_least("per_device_eval_batch_size", c.per_device_eval_batch_size, 1);
  const bool has_validation = c.val_size > 0 || !c.eval_dataset.empty();
  if (c.eval_strategy != IntervalStrategy::no && !has_validation)
    check.fail("eval_strategy", "needs a validation set: set val_size or eval_dataset");
  if (c.load_best_model_at_end) {  // transformers TrainingArguments
    if (c.eval_strategy == IntervalStrategy::no)
      check.fail("load_best_model_at_end", "needs evaluation (eval_strategy: steps or epoch)");
    if (c.save_strategy != c.eval_strategy)
      check.fail("load_best_model_at_end", "needs save_strategy to match eval_strategy");
    const int64_t eval_every = c.eval_steps.value_or(c.logging_steps);
    if (c.eval_strategy == IntervalStrategy::steps && c.save_steps % eval_every != 0)
      check.fail("load_best_model_at_end", "needs save_steps (" + std::to_string(c.save_steps) +
                                               ") to be a multiple of eval_steps (" + std::to_string(eval_every) + ")");
  }
  if (!c.metric_for_best_model.empty() && c.metric_for_best_model != "loss" && c.metric_for_best_model != "eval_loss")
    check.fail("metric_for_best_model", "\"" + c.metric_for_best_model + "\" is not computed here (use loss)");
  check.at_least("early_stopping_steps", c.early_stopping_steps, 1);
  if (c.early_stopping_steps && c.eval_strategy == IntervalStrategy::no)
    check.fail("early_stopping_steps", "needs evaluation (eval_strategy: steps or epoch, and val_size)");
  check.non_negative("early_stopping_threshold", c.early_stopping_threshold);
  // Generation for predict (transformers' GenerationConfig.validate ranges).
  if (c.do_sample) check.positive("temperature", c.temperature);
  check.in_range("top_p", c.top_p, 0.0, 1.0, /*high_open=*/false);
  check.at_least("top_k", c.top_k, 0);
  check.at_least("max_new_tokens", c.max_new_tokens, 1);
  check.positive("repetition_penalty", c.repetition_penalty);

  // What a run needs but a draft may lack.
  if (c.model_name_or_path.empty()) warn("model_name_or_path", "model_name_or_path is not set");
  if (c.dataset.empty() && !c.do_predict) warn("dataset", "dataset is not set");  // predict reads eval_dataset
  if (c.output_dir.empty()) warn("output_dir", "output_dir is not set");
}

}  // namespace vltune::train
