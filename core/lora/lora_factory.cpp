#include "core/lora/lora_factory.h"

#include "core/error.h"

namespace vltune::lora {

std::unique_ptr<LoraModel> open_model(const std::filesystem::path& folder) {
  const io::ModelConfig config = io::read_model_config(folder);
  const io::ModelFamily family = config.family();
  switch (family) {
    case io::ModelFamily::qwen2_vl:
    case io::ModelFamily::qwen2_5_vl: return std::make_unique<LoraModel>(models::load_qwen_vl(folder), family, folder);
    case io::ModelFamily::llava: return std::make_unique<LoraModel>(models::load_llava(folder), family, folder);
    case io::ModelFamily::idefics3: return std::make_unique<LoraModel>(models::load_idefics3(folder), family, folder);
    case io::ModelFamily::clip: return std::make_unique<LoraModel>(models::load_clip(folder), family, folder);
  }
  throw FormatError(folder.string() + ": unsupported model family");
}

std::unique_ptr<LoraModel> open_lora_model(const std::filesystem::path& folder, const LoraParams& params) {
  if (params.use_dora) throw Error("use_dora: DoRA is not supported; set use_dora: false");
  if (params.rank < 1) throw Error("lora_rank must be at least 1, got " + std::to_string(params.rank));
  auto model = open_model(folder);
  LoraAdapterParams adapter;
  adapter.r = params.rank;
  adapter.alpha = params.alpha;
  adapter.dropout = params.dropout;
  adapter.use_rslora = params.use_rslora;
  torch::manual_seed(params.seed);
  model->add_adapter(params.adapter_name, adapter, parse_lora_target(params.target), params.freeze);
  return model;
}

}  // namespace vltune::lora
