#include "core/lora/lora_factory.h"

#include <torch/cuda.h>

#include "core/error.h"
#include "core/lora/peft_adapter.h"
#include "core/models/weight_loader.h"

namespace vltune::lora {

namespace {

// Parameters in `dtype` as they load: the CPU never holds the model in float32 first.
std::unique_ptr<LoraModel> load_family(const std::filesystem::path& folder, torch::Dtype dtype) {
  const io::ModelConfig config = io::read_model_config(folder);
  const io::ModelFamily family = config.family();
  switch (family) {
    case io::ModelFamily::qwen2_vl:
    case io::ModelFamily::qwen2_5_vl: return std::make_unique<LoraModel>(models::load_qwen_vl(folder, dtype), family, folder);
    case io::ModelFamily::llava: return std::make_unique<LoraModel>(models::load_llava(folder, dtype), family, folder);
    case io::ModelFamily::idefics3: return std::make_unique<LoraModel>(models::load_idefics3(folder, dtype), family, folder);
    case io::ModelFamily::clip: return std::make_unique<LoraModel>(models::load_clip(folder, dtype), family, folder);
  }
  throw FormatError(folder.string() + ": unsupported model family");
}

}  // namespace

ModelPlacement resolve_placement(const std::string& device, const std::string& precision) {
  ModelPlacement out;
  const bool cuda = torch::cuda::is_available();
  if (device == "auto") {
    out.device = cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  } else if (device == "cpu") {
    out.device = torch::kCPU;
  } else if (device.rfind("cuda", 0) == 0) {
    try {
      out.device = torch::Device(device);
    } catch (const std::exception&) {
      throw Error("device: \"" + device + "\" is not a device (cpu, cuda or cuda:N)");
    }
    if (!cuda)
      throw Error("device: " + device + " asked for, but no CUDA device is visible" +
                  (torch::cuda::device_count() == 0 ? std::string(" (this build or this machine has no CUDA)") : ""));
    if (!out.device.has_index()) out.device.set_index(0);
    if (out.device.index() >= static_cast<int64_t>(torch::cuda::device_count()))
      throw Error("device: " + device + " asked for, but only " + std::to_string(torch::cuda::device_count()) +
                  " CUDA device(s) are visible");
  } else {
    throw Error("device: \"" + device + "\" is not a device (auto, cpu, cuda or cuda:N)");
  }
  if (precision == "fp32") out.dtype = torch::kFloat32;
  else if (precision == "bf16") out.dtype = torch::kBFloat16;
  else if (precision == "fp16") {
    // CPU half-precision matrix products are missing or very slow in LibTorch: refuse rather
    // than crawl or fail mid-run.
    if (out.device.is_cpu())
      throw Error("fp16: half-precision training needs a CUDA device; on the CPU use bf16: true or float32");
    out.dtype = torch::kFloat16;
  } else {
    throw Error("precision: \"" + precision + "\" is not fp32, bf16 or fp16");
  }
  return out;
}

std::string to_string(const ModelPlacement& placement) {
  // The names config.json and YAML use ("bfloat16"), not LibTorch's ("BFloat16").
  const std::string dtype = placement.dtype == torch::kBFloat16 ? "bfloat16"
                            : placement.dtype == torch::kFloat16 ? "float16"
                            : placement.dtype == torch::kFloat32 ? "float32"
                                                                 : std::string(c10::toString(placement.dtype));
  return placement.device.str() + " " + dtype;
}

int quantize_base_weights(LoraModel& model, const QuantParams& quant, torch::ScalarType dtype) {
  int count = 0;
  for (const auto& site : linear_sites(model.module(), model.layout())) {
    if (site.part != models::ModelPart::language) continue;
    lora_linear_at(model.module(), site.module_path).quantize_base(quant, dtype);
    ++count;
  }
  if (count == 0) throw Error("quantization_bit: this model has no language-model linear layers to quantise");
  return count;
}

bool has_quantized_base(LoraModel& model) {
  for (const auto& [path, l] : lora_linears(model.module()))
    if (l->is_quantized()) return true;
  return false;
}

std::unique_ptr<LoraModel> open_model(const std::filesystem::path& folder, const ModelPlacement& placement,
                                      const QuantParams& quant) {
  auto model = load_family(folder, placement.dtype);
  if (quant.bits != 0) quantize_base_weights(*model, quant, placement.dtype);
  // Loaded in the placement's dtype on the CPU, then moved (buffers stay float32).
  if (placement.device != torch::Device(torch::kCPU) || placement.dtype != torch::kFloat32)
    models::place_module(model->module(), placement.device, placement.dtype);
  return model;
}

std::unique_ptr<LoraModel> open_lora_model(const std::filesystem::path& folder, const LoraParams& params,
                                           const ModelPlacement& placement) {
  if (params.rank < 1) throw Error("lora_rank must be at least 1, got " + std::to_string(params.rank));
  auto model = open_model(folder, placement, params.quant);
  LoraAdapterParams adapter;
  adapter.r = params.rank;
  adapter.alpha = params.alpha;
  adapter.dropout = params.dropout;
  adapter.use_rslora = params.use_rslora;
  adapter.use_dora = params.use_dora;
  adapter.init = params.init;
  torch::manual_seed(params.seed);
  model->add_adapter(params.adapter_name, adapter, parse_lora_target(params.target), params.freeze);
  return model;
}

}  // namespace vltune::lora
