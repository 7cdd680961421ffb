#pragma once
// Every YAML key of TrainConfig and the field it fills, listed once. The reader, the writer and
// the list of known keys all walk this list, so a key cannot be read but not written (or the
// reverse). Internal to core/train/train_config*.cpp.
//
// A visitor provides:
//   section(name)                  a "### name" block starts (LLaMA-Factory's example layout)
//   operator()(key, field, info)   one key; `field` is TrainConfig's member (const when writing)
//   constant(key, text)            a key written with a fixed value and never read into a field

#include <array>
#include <string_view>
#include <utility>

#include "core/train/train_config.h"

namespace vltune::train::detail {

struct FieldInfo {
  bool only_if_changed = false;  // written only when not the default: vltune-only keys, and keys some
                                 // LLaMA-Factory versions lack (it rejects keys it does not know)
  bool plain_true = false;       // a plain YAML `true` is read as the string "true" and written back
                                 // unquoted (resume_from_checkpoint: true = the latest checkpoint)
};

// The YAML names of each enum's values.
template <class E>
struct EnumNames;
template <>
struct EnumNames<Stage> {
  static constexpr std::array values{std::pair{Stage::sft, std::string_view("sft")},
                                     std::pair{Stage::dpo, std::string_view("dpo")}};
};
template <>
struct EnumNames<FinetuningType> {
  static constexpr std::array values{std::pair{FinetuningType::lora, std::string_view("lora")},
                                     std::pair{FinetuningType::freeze, std::string_view("freeze")},
                                     std::pair{FinetuningType::full, std::string_view("full")}};
};
template <>
struct EnumNames<PrefLoss> {
  static constexpr std::array values{std::pair{PrefLoss::sigmoid, std::string_view("sigmoid")},
                                     std::pair{PrefLoss::ipo, std::string_view("ipo")}};
};
template <>
struct EnumNames<LoraInitWeights> {
  static constexpr std::array values{std::pair{LoraInitWeights::kaiming, std::string_view("true")},
                                     std::pair{LoraInitWeights::gaussian, std::string_view("gaussian")}};
};
template <>
struct EnumNames<LrScheduler> {
  static constexpr std::array values{
      std::pair{LrScheduler::linear, std::string_view("linear")},
      std::pair{LrScheduler::cosine, std::string_view("cosine")},
      std::pair{LrScheduler::constant, std::string_view("constant")},
      std::pair{LrScheduler::constant_with_warmup, std::string_view("constant_with_warmup")}};
};
template <>
struct EnumNames<Optimizer> {
  static constexpr std::array values{
      std::pair{Optimizer::adamw_torch, std::string_view("adamw_torch")},
      std::pair{Optimizer::adamw_torch_fused, std::string_view("adamw_torch_fused")},
      std::pair{Optimizer::adamw_hf, std::string_view("adamw_hf")}};
};
template <>
struct EnumNames<IntervalStrategy> {
  static constexpr std::array values{std::pair{IntervalStrategy::no, std::string_view("no")},
                                     std::pair{IntervalStrategy::steps, std::string_view("steps")},
                                     std::pair{IntervalStrategy::epoch, std::string_view("epoch")}};
};

template <class E>
constexpr std::string_view enum_name(E value) {
  for (const auto& [v, name] : EnumNames<E>::values)
    if (v == value) return name;
  return "?";
}

// `Config` is TrainConfig or const TrainConfig.
template <class Config, class Visitor>
void visit_train_config(Config& c, Visitor& v) {
  v.section("model");
  v("model_name_or_path", c.model_name_or_path);
  v("adapter_name_or_path", c.adapter_name_or_path);
  v("image_max_pixels", c.image_max_pixels);
  v("image_min_pixels", c.image_min_pixels);
  v("quantization_bit", c.quantization_bit);
  v("quantization_type", c.quantization_type);
  v("double_quantization", c.double_quantization);
  v("disable_gradient_checkpointing", c.disable_gradient_checkpointing);
  v("use_unsloth_gc", c.use_unsloth_gc, FieldInfo{.only_if_changed = true});  // older LLaMA-Factory versions lack it

  v.section("method");
  v("stage", c.stage);
  v.constant("do_train", "true");  // so that llamafactory-cli trains with the file too
  v("finetuning_type", c.finetuning_type);
  v("lora_rank", c.lora_rank);
  v("lora_alpha", c.lora_alpha);
  v("lora_dropout", c.lora_dropout);
  v("lora_target", c.lora_target);
  v("additional_target", c.additional_target);
  v("use_rslora", c.use_rslora);
  v("use_dora", c.use_dora);
  v("init_lora_weights", c.init_lora_weights, FieldInfo{.only_if_changed = true});  // PEFT's name; vltune-only here
  v("loraplus_lr_ratio", c.loraplus_lr_ratio);
  v("loraplus_lr_embedding", c.loraplus_lr_embedding);
  v("freeze_trainable_layers", c.freeze_trainable_layers);
  v("freeze_trainable_modules", c.freeze_trainable_modules);
  v("freeze_extra_modules", c.freeze_extra_modules);
  v("freeze_vision_tower", c.freeze_vision_tower);
  v("freeze_multi_modal_projector", c.freeze_multi_modal_projector);
  v("freeze_language_model", c.freeze_language_model);
  v("train_mm_proj_only", c.train_mm_proj_only, FieldInfo{.only_if_changed = true});
  v("pref_beta", c.pref_beta);
  v("pref_ftx", c.pref_ftx);
  v("pref_loss", c.pref_loss);
  v("dpo_label_smoothing", c.dpo_label_smoothing, FieldInfo{.only_if_changed = true});  // LLaMA-Factory < 0.9.4 lacks it

  v.section("dataset");
  v("dataset", c.dataset);
  v("eval_dataset", c.eval_dataset);
  v("dataset_dir", c.dataset_dir);
  v("media_dir", c.media_dir);
  v("template", c.template_name);
  v("cutoff_len", c.cutoff_len);
  v("max_samples", c.max_samples);
  v("overwrite_cache", c.overwrite_cache);
  v("preprocessing_num_workers", c.preprocessing_num_workers);
  v("val_size", c.val_size);
  v("train_on_prompt", c.train_on_prompt);
  v("mask_history", c.mask_history);
  v("packing", c.packing, FieldInfo{.only_if_changed = true});
  v("neat_packing", c.neat_packing, FieldInfo{.only_if_changed = true});
  v("preprocessing_batch_size", c.preprocessing_batch_size, FieldInfo{.only_if_changed = true});

  v.section("output");
  v("output_dir", c.output_dir);
  v("run_name", c.run_name);
  v("logging_steps", c.logging_steps);
  v("save_strategy", c.save_strategy);
  v("save_steps", c.save_steps);
  v("save_total_limit", c.save_total_limit);
  v("save_only_model", c.save_only_model);
  v("plot_loss", c.plot_loss);
  v("overwrite_output_dir", c.overwrite_output_dir);
  v("resume_from_checkpoint", c.resume_from_checkpoint, FieldInfo{.plain_true = true});

  v.section("train");
  v("per_device_train_batch_size", c.per_device_train_batch_size);
  v("gradient_accumulation_steps", c.gradient_accumulation_steps);
  v("learning_rate", c.learning_rate);
  v("num_train_epochs", c.num_train_epochs);
  v("max_steps", c.max_steps);
  v("lr_scheduler_type", c.lr_scheduler_type);
  v("warmup_ratio", c.warmup_ratio);
  v("warmup_steps", c.warmup_steps);
  v("optim", c.optim);
  v("weight_decay", c.weight_decay);
  v("adam_beta1", c.adam_beta1);
  v("adam_beta2", c.adam_beta2);
  v("adam_epsilon", c.adam_epsilon);
  v("max_grad_norm", c.max_grad_norm);
  v("seed", c.seed);
  v("data_seed", c.data_seed);
  v("bf16", c.bf16);
  v("fp16", c.fp16);
  v("pure_bf16", c.pure_bf16);
  v("dataloader_drop_last", c.dataloader_drop_last);
  v("dataloader_num_workers", c.dataloader_num_workers);
  v("disable_shuffling", c.disable_shuffling, FieldInfo{.only_if_changed = true});  // recent LLaMA-Factory only

  v.section("eval");
  v("eval_strategy", c.eval_strategy);
  v("eval_steps", c.eval_steps);
  v("per_device_eval_batch_size", c.per_device_eval_batch_size);
  v("load_best_model_at_end", c.load_best_model_at_end);
  v("metric_for_best_model", c.metric_for_best_model);
  v("early_stopping_steps", c.early_stopping_steps);
  v("early_stopping_threshold", c.early_stopping_threshold, FieldInfo{.only_if_changed = true});

  // Written only when set, so a training config's YAML stays as it was.
  v.section("predict");
  v("do_predict", c.do_predict, FieldInfo{.only_if_changed = true});
  v("predict_with_generate", c.predict_with_generate, FieldInfo{.only_if_changed = true});
  v("do_eval", c.do_eval, FieldInfo{.only_if_changed = true});
  v("do_sample", c.do_sample, FieldInfo{.only_if_changed = true});
  v("temperature", c.temperature, FieldInfo{.only_if_changed = true});
  v("top_p", c.top_p, FieldInfo{.only_if_changed = true});
  v("top_k", c.top_k, FieldInfo{.only_if_changed = true});
  v("max_new_tokens", c.max_new_tokens, FieldInfo{.only_if_changed = true});
  v("repetition_penalty", c.repetition_penalty, FieldInfo{.only_if_changed = true});
}

}  // namespace vltune::train::detail
