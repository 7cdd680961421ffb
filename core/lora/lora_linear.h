#pragma once
// A linear layer that can carry LoRA adapters (PEFT's tuners/lora/layer.py Linear): the frozen
// `weight` and `bias` registered exactly as torch::nn::Linear registers them (so checkpoint keys
// do not change), plus any number of NAMED adapters, an active set and a scale. Several adapters
// on one copy of the base weights make base-vs-adapted comparison and hot-swapping cheap.
//
// Each adapter `<name>` registers `lora_A.<name>.weight` [r, in] and `lora_B.<name>.weight`
// [out, r] under this module (PEFT's parameter paths). forward() is PEFT's, in its order of
// operations, so values and gradients agree with it:
//   result = linear(x, W, b)
//   for each active adapter: result = result + lora_B(lora_A(dropout(x))) * scaling * scale
// with scaling = alpha / r (alpha / sqrt(r) with use_rslora). With a compute dtype set (mixed-
// precision training), the adapter's two products run in it as under torch.autocast.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/quant/nf4.h"

namespace vltune::lora {

// One adapter's hyper-parameters (PEFT LoraConfig's fields of the same names).
// How lora_A starts (PEFT's init_lora_weights); lora_B starts at zero either way, so a new
// adapter changes nothing until it trains.
enum class LoraInit {
  kaiming,   // true (PEFT's default): kaiming-uniform(a = sqrt(5))
  gaussian,  // "gaussian": normal(0, 1 / r)
};

struct LoraAdapterParams {
  int64_t r = 8;            // rank: lora_A is [r, in], lora_B [out, r]
  double alpha = 16.0;      // lora_alpha: scaling = alpha / r
  double dropout = 0.0;     // lora_dropout: probability on the adapter's input while training
  bool use_rslora = false;  // rank-stabilised scaling: alpha / sqrt(r)
  bool use_dora = false;    // weight-decomposed LoRA (DoRA): a trained magnitude per output row
  LoraInit init = LoraInit::kaiming;  // init_lora_weights: how lora_A starts
};

// How the frozen base weight is stored (LLaMA-Factory's quantization_* keys, bitsandbytes' QLoRA).
struct QuantParams {
  int bits = 0;                  // quantization_bit: 4 (NF4), 8 (LLM.int8 rows) or 0 (full precision)
  std::string type = "nf4";      // quantization_type: "nf4" (the one 4-bit type supported)
  bool double_quant = true;      // double_quantization: the NF4 block scales quantised to 8 bits too
  int64_t blocksize = 64;        // elements per NF4 scale (bitsandbytes' default)
};

// alpha / r, or alpha / sqrt(r) with use_rslora.
double lora_scaling(const LoraAdapterParams& params);

class LoraLinearImpl : public torch::nn::Module {
 public:
  explicit LoraLinearImpl(const torch::nn::LinearOptions& options);
  LoraLinearImpl(int64_t in_features, int64_t out_features) : LoraLinearImpl(torch::nn::LinearOptions(in_features, out_features)) {}

  // x: [..., in] -> [..., out]
  torch::Tensor forward(const torch::Tensor& x);

  // Adds adapter `name` (letters, digits, '_' and '-'; not yet present), initialised as PEFT's
  // init_lora_weights: lora_A kaiming-uniform(a = sqrt(5)) or normal(0, 1/r), lora_B zeros (from
  // torch's global generator: seed it for reproducible runs); with use_dora, the magnitude starts
  // as the row norms of the base weight (PEFT's DoraLinearLayer.update_layer), so the output is
  // unchanged. The adapter is not made active. Float32, on weight's device.
  // Throws vltune::Error naming the adapter for a bad name, a duplicate or r < 1.
  void add_adapter(const std::string& name, const LoraAdapterParams& params);
  void remove_adapter(const std::string& name);
  bool has_adapter(const std::string& name) const { return m_adapters.count(name) != 0; }
  // Every adapter's name, sorted.
  std::vector<std::string> adapters() const;

  // The adapters forward() adds (each must exist; absent ones are skipped silently by forward
  // only if removed after this call). Empty: the base layer alone.
  void set_active(const std::vector<std::string>& names);
  const std::vector<std::string>& active() const { return m_active; }
  // A multiplier on every active adapter's scaling (1: as trained; 0: the base layer).
  void set_scale(double scale) { m_scale = scale; }
  double scale() const { return m_scale; }
  // The dtype the adapters' products run in, as HF's Trainer runs PEFT under torch.autocast with
  // bf16 / fp16: the input, lora_A and lora_B cast to it for each product (the float32 weights get
  // float32 gradients through the cast), the product added in it. nullopt (the default): in the
  // adapter's own float32, as PEFT without autocast (chat, export). DoRA adapters ignore it.
  void set_compute_dtype(std::optional<torch::ScalarType> dtype) { m_compute_dtype = dtype; }
  std::optional<torch::ScalarType> compute_dtype() const { return m_compute_dtype; }

  // The one active plain adapter's share, added as forward() adds it when nothing is recorded:
  // out = base + lora_B(down) * scaling, lora_B's product in down's dtype, the sum written into
  // `out` (base's shape; the output's dtype) and rounded once, as (base + delta).to(dtype) is.
  // down: [..., r], the adapter's lora_A product of the input in the compute dtype. Merged decode
  // products (core/models/merged_products.h) run several layers' lora_A products as one and write
  // each layer's columns with it. Throws vltune::Error unless exactly one adapter is active.
  void add_adapter_output(torch::Tensor out, const torch::Tensor& base, const torch::Tensor& down) const;

  const LoraAdapterParams& adapter_params(const std::string& name) const;
  double scaling(const std::string& name) const { return lora_scaling(adapter_params(name)); }
  // [r, in] and [out, r] parameters of adapter `name`.
  torch::Tensor& lora_A_weight(const std::string& name);
  torch::Tensor& lora_B_weight(const std::string& name);
  // DoRA's magnitude [out] of adapter `name` (registered as lora_magnitude_vector.<name>.weight,
  // PEFT's name); throws unless the adapter uses DoRA.
  torch::Tensor& lora_magnitude(const std::string& name);

  // scaling * B @ A, the adapter's change of `weight`: [out, in], in weight's dtype.
  torch::Tensor delta_weight(const std::string& name) const;
  // Folds the listed adapters into `weight` (W += scaling * B @ A; DoRA: W = m / ||W + ΔW|| *
  // (W + ΔW) row by row, PEFT's merge) and removes them (merge_and_unload). Throws vltune::Error
  // on a quantised base (dequantise it first).
  void merge_and_remove(const std::vector<std::string>& names);

  // Replaces the frozen weight by its NF4 / int8 form (params.bits 4 or 8), quantised from the
  // weight rounded to `dtype` first (transformers loads in torch_dtype, then bitsandbytes
  // quantises); forward() then dequantises to `dtype` on the fly. The full-precision weight is
  // released: `weight` stays registered (checkpoint names do not change) but empty. The
  // quantised tensors are buffers ("quant_*"), so module.to(device) moves them.
  // Throws vltune::Error for bits other than 4 / 8, a 4-bit type other than nf4, or twice.
  void quantize_base(const QuantParams& params, torch::ScalarType dtype);
  bool is_quantized() const { return m_quant_meta.has_value(); }
  // The stored form (tensors on the layer's current device); throws unless is_quantized().
  quant::QuantizedWeight quantized_weight() const;
  // Puts back a full-precision weight [out, in] in the dtype quantised from and drops the
  // quantised form (dequantise the base before merging).
  void dequantize_base();

  torch::nn::LinearOptions options;
  torch::Tensor weight;  // [out, in]
  torch::Tensor bias;    // [out] or undefined

 private:
  struct Adapter {
    LoraAdapterParams params;
    torch::nn::Linear A{nullptr}, B{nullptr};
    torch::Tensor magnitude;  // DoRA: [out], float32; undefined otherwise
  };
  const Adapter& adapter(const std::string& name) const;
  // The frozen base weight [out, in] in `dtype`, without autograd history (dequantised when the
  // base is quantised): what DoRA's norms are taken of.
  torch::Tensor base_weight(torch::ScalarType dtype) const;
  // DoRA's part of the output for adapter `a`, added to `result` (the base layer's output with
  // its bias): x [..., in], result [..., out] -> [..., out] (PEFT DoraLinearLayer.forward).
  torch::Tensor dora_delta(Adapter& a, const torch::Tensor& x, const torch::Tensor& result, double scaling);

  // Plain containers registered as "lora_A" / "lora_B" with the first adapter; each adapter's
  // Linear is registered in them under its name (unregistered again on removal).
  std::shared_ptr<torch::nn::Module> m_lora_A, m_lora_B;
  // "lora_magnitude_vector", registered with the first DoRA adapter: a child per adapter holding
  // its magnitude as "weight", the layout of PEFT's state dict.
  std::shared_ptr<torch::nn::Module> m_lora_magnitude;
  std::map<std::string, Adapter> m_adapters;
  std::vector<std::string> m_active;
  double m_scale = 1.0;
  std::optional<torch::ScalarType> m_compute_dtype;
  // Quantised base: metadata here, the tensors registered as buffers quant_packed, quant_absmax
  // and quant_absmax2 (so they follow .to(device); empty when unused).
  std::optional<quant::QuantizedWeight> m_quant_meta;
  torch::Tensor m_quant_packed, m_quant_absmax, m_quant_absmax2;
};
TORCH_MODULE(LoraLinear);

}  // namespace vltune::lora
