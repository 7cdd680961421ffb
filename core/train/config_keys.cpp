#include "core/train/config_keys.h"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace vltune::train {
namespace {

// Known keys with no field here, whatever their value. Sources: LLaMA-Factory's hparams
// (model_args.py, data_args.py, finetuning_args.py, generating_args.py) and transformers'
// TrainingArguments / Seq2SeqTrainingArguments.
constexpr std::string_view kIgnored[] = {
    // model: loading, Hub access, kernels and inference engines (the weights come out the same)
    "trust_remote_code", "adapter_folder", "cache_dir", "use_fast_tokenizer", "model_revision",
    "low_cpu_mem_usage", "flash_attn", "enable_liger_kernel", "use_liger_kernel", "moe_aux_loss_coef",
    "use_reentrant_gc", "infer_backend", "offload_folder", "use_kv_cache", "infer_dtype", "hf_hub_token",
    "ms_hub_token", "om_hub_token", "print_param_status", "image_do_pan_and_scan", "crop_to_patches",
    "use_audio_in_video", "quantization_device_map", "use_kt", "cpu_infer", "chunk_size", "mode",
    "use_v1_kernels", "init_special_tokens", "visual_inputs", "compute_dtype", "device_map",
    "model_max_length", "block_diag_attn", "upcast_layernorm", "upcast_lmhead_output",
    // data: preprocessing machinery, evaluation by generation, other tools' formats
    "eval_num_beams", "ignore_pad_token_for_loss", "tool_format",
    "buffer_size", "enable_thinking", "data_shared_file_system",
    // method: options of methods not used here (PiSSA's, OFT's, other preference losses')
    "pissa_iter", "pissa_convert", "module_dropout", "include_effective_tokens_per_second", "use_mca",
    "use_swanlab", "simpo_gamma", "ld_alpha",
    // training: launchers, distribution, logging backends, Hub, evaluation by generation
    "report_to", "ddp_timeout", "logging_dir", "logging_first_step", "logging_nan_inf_filter",
    "log_level", "log_level_replica", "log_on_each_node", "disable_tqdm", "tf32", "local_rank",
    "fsdp_config", "torch_compile", "torch_compile_backend", "torch_compile_mode", "push_to_hub",
    "dataloader_pin_memory", "dataloader_persistent_workers", "dataloader_prefetch_factor",
    "remove_unused_columns", "label_names", "save_on_each_node", "use_cpu", "no_cuda", "bf16_full_eval",
    "fp16_full_eval", "fp16_opt_level", "fp16_backend", "half_precision_backend", "skip_memory_metrics",
    "include_tokens_per_second", "include_num_input_tokens_seen", "torch_empty_cache_steps",
    "ignore_data_skip", "full_determinism", "eval_delay", "eval_accumulation_steps",
    "eval_do_concat_batches", "prediction_loss_only", "optim_args", "length_column_name",
    "gradient_checkpointing", "gradient_checkpointing_kwargs", "accelerator_config",
    "average_tokens_across_devices", "restore_callback_states_from_checkpoint", "past_index",
    "jit_mode_eval", "use_ipex", "use_mps_device", "eval_use_gather_object", "batch_eval_metrics",
    "eval_on_start", "dispatch_batches", "split_batches", "include_inputs_for_metrics",
    "include_for_metrics", "debug", "sortish_sampler", "placement_strategy", "resources_per_worker",
    // generation (LLaMA-Factory's GeneratingArguments; the ones predict uses are TrainConfig fields)
    "num_beams", "max_length", "length_penalty", "skip_special_tokens",
};

// Families of keys, by prefix: every key starting so is known and ignored.
constexpr std::string_view kIgnoredPrefixes[] = {
    "video_", "audio_", "vllm_", "sglang_", "kt_", "export_", "swanlab_", "ray_", "hub_", "ddp_",
    "fsdp_", "fp8_", "push_to_hub_", "tpu_", "oft_", "galore_", "apollo_", "badam_", "ppo_", "kto_",
    "pref_", "ref_model", "reward_model", "generation_",
};

// Known keys whose value decides: the training this engine would do is different (error), or the
// same (warning, and the key is ignored).
constexpr ValueRule kRules[] = {
    // different training: refused
    {"streaming", ValueTest::is_true, "", true, "datasets are read whole; leave streaming off"},
    {"mix_strategy", ValueTest::differs, "concat", true, "datasets are concatenated"},
    {"interleave_probs", ValueTest::is_set, "", true, "datasets are concatenated, not interleaved"},
    {"default_system", ValueTest::is_set, "", true, "the template's own system prompt is used"},
    {"pissa_init", ValueTest::is_true, "", true, "PiSSA initialisation is not implemented"},
    {"create_new_adapter", ValueTest::is_true, "", true, "training continues the given adapter"},
    {"use_galore", ValueTest::is_true, "", true, "the optimizer is AdamW"},
    {"use_apollo", ValueTest::is_true, "", true, "the optimizer is AdamW"},
    {"use_badam", ValueTest::is_true, "", true, "the optimizer is AdamW"},
    {"use_adam_mini", ValueTest::is_true, "", true, "the optimizer is AdamW"},
    {"use_muon", ValueTest::is_true, "", true, "the optimizer is AdamW"},
    {"adafactor", ValueTest::is_true, "", true, "the optimizer is AdamW"},
    {"use_llama_pro", ValueTest::is_true, "", true, "LLaMA Pro block expansion is not implemented"},
    {"use_dft_loss", ValueTest::is_true, "", true, "the loss is cross-entropy"},
    {"label_smoothing_factor", ValueTest::differs, "0", true, "label smoothing is not implemented"},
    {"neftune_noise_alpha", ValueTest::is_set, "", true, "NEFTune noise is not implemented"},
    {"lr_scheduler_kwargs", ValueTest::is_set, "", true, "the schedulers take no extra arguments"},
    {"greater_is_better", ValueTest::is_true, "", true, "the metric is the eval loss: lower is better"},
    {"logging_strategy", ValueTest::differs, "steps", true, "logs are written every logging_steps"},
    {"resize_vocab", ValueTest::is_true, "", true, "the vocabulary cannot be resized"},
    {"add_tokens", ValueTest::is_set, "", true, "tokens cannot be added to the vocabulary"},
    {"add_special_tokens", ValueTest::is_set, "", true, "tokens cannot be added to the vocabulary"},
    {"new_special_tokens_config", ValueTest::is_set, "", true, "tokens cannot be added to the vocabulary"},
    {"split_special_tokens", ValueTest::is_true, "", true, "special tokens are never split"},
    {"rope_scaling", ValueTest::is_set, "", true, "RoPE scaling is not implemented"},
    {"shift_attn", ValueTest::is_true, "", true, "S^2-Attn is not implemented"},
    {"mixture_of_depths", ValueTest::is_set, "", true, "mixture-of-depths is not implemented"},
    {"train_from_scratch", ValueTest::is_true, "", true, "training starts from the model's weights"},
    {"fp8", ValueTest::is_true, "", true, "FP8 training is not implemented"},
    {"quantization_method", ValueTest::differs, "bnb|bitsandbytes", true,
     "quantization is bitsandbytes-style (quantization_bit, quantization_type)"},
    // same training: accepted with a warning
    {"do_train", ValueTest::is_false, "", false, "`vltune train` always trains"},
    {"compute_accuracy", ValueTest::is_true, "", false, "only the eval loss is computed"},
    {"eval_on_each_dataset", ValueTest::is_true, "", false, "the validation sets are evaluated together"},
    {"tokenized_path", ValueTest::is_set, "", false, "samples are tokenized as they are loaded"},
    {"use_unsloth", ValueTest::is_true, "", false, "Unsloth's kernels are not used (same training)"},
    {"group_by_length", ValueTest::is_true, "", false, "batches are not grouped by length"},
    {"auto_find_batch_size", ValueTest::is_true, "", false, "per_device_train_batch_size is used as given"},
    {"save_safetensors", ValueTest::is_false, "", false, "checkpoints are always safetensors"},
    {"deepspeed", ValueTest::is_set, "", false, "one process trains; DeepSpeed is not used"},
    {"fsdp", ValueTest::is_set, "", false, "one process trains; FSDP is not used"},
};

struct Rename {
  std::string_view old_name;
  std::string_view name;
};
constexpr Rename kRenamed[] = {
    {"evaluation_strategy", "eval_strategy"},  // transformers < 4.41
    {"image_resolution", "image_max_pixels"},  // LLaMA-Factory < 0.9.2 (a pixel count too)
    {"per_gpu_train_batch_size", "per_device_train_batch_size"},  // transformers, deprecated
    {"per_gpu_eval_batch_size", "per_device_eval_batch_size"},
};

char lower(char ch) { return static_cast<char>(std::tolower(static_cast<unsigned char>(ch))); }

}  // namespace

const ValueRule* find_value_rule(std::string_view key) {
  for (const auto& rule : kRules)
    if (rule.key == key) return &rule;
  return nullptr;
}

bool is_ignored_key(std::string_view key) {
  if (std::find(std::begin(kIgnored), std::end(kIgnored), key) != std::end(kIgnored)) return true;
  return std::any_of(std::begin(kIgnoredPrefixes), std::end(kIgnoredPrefixes),
                     [&](std::string_view prefix) { return key.starts_with(prefix); });
}

std::string_view renamed_key(std::string_view key) {
  for (const auto& r : kRenamed)
    if (r.old_name == key) return r.name;
  return {};
}

std::vector<std::string_view> table_keys() {
  std::vector<std::string_view> out(std::begin(kIgnored), std::end(kIgnored));
  out.insert(out.end(), std::begin(kIgnoredPrefixes), std::end(kIgnoredPrefixes));
  for (const auto& rule : kRules) out.push_back(rule.key);
  for (const auto& r : kRenamed) out.push_back(r.old_name);
  return out;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: three rows of the dynamic programme.
  std::vector<size_t> prev2(b.size() + 1), prev(b.size() + 1), row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      row[j] = std::min({prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        row[j] = std::min(row[j], prev2[j - 2] + 1);
    }
    prev2.swap(prev);
    prev.swap(row);
  }
  return prev[b.size()];
}

std::string closest_key(std::string_view key, std::span<const std::string_view> known) {
  // Short keys tolerate one slip; longer ones about one per four characters, at most three.
  const size_t allowed = std::clamp<size_t>(key.size() / 4, 1, 3);
  std::string_view best;
  size_t best_distance = allowed + 1;
  for (const auto candidate : known) {
    const size_t d = edit_distance(key, candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return std::string(best);
}

}  // namespace vltune::train
