#include "bench/support/random_weights.h"

#include <map>

#include "core/error.h"
#include "core/io/hf_config.h"
#include "core/lora/linear_init.h"
#include "core/models/idefics3.h"
#include "core/models/llava.h"
#include "core/models/qwen_vl.h"

namespace vltune::bench {

std::unique_ptr<lora::LoraModel> unwritten_model(const std::filesystem::path& dir) {
  lora::SkipLinearInit no_init;  // drawn by init_like_hf, on the device
  const io::ModelConfig config = io::read_model_config(dir);
  const io::ModelFamily family = config.family();
  switch (family) {
    case io::ModelFamily::qwen2_vl:
    case io::ModelFamily::qwen2_5_vl: return std::make_unique<lora::LoraModel>(models::QwenVL(config), family, dir);
    case io::ModelFamily::llava: return std::make_unique<lora::LoraModel>(models::Llava(config), family, dir);
    case io::ModelFamily::idefics3: return std::make_unique<lora::LoraModel>(models::Idefics3(config), family, dir);
    case io::ModelFamily::clip: break;
  }
  throw Error(dir.string() + ": CLIP has no decoder to benchmark");
}

void allocate_on(torch::nn::Module& m, torch::Device device, torch::Dtype dtype) {
  torch::NoGradGuard no_grad;
  std::map<const void*, torch::Tensor> fresh;
  for (auto& p : m.parameters()) {
    auto& t = fresh[p.data_ptr()];
    if (!t.defined() || t.sizes() != p.sizes())
      t = torch::empty(p.sizes(), p.options().device(device).dtype(p.is_floating_point() ? dtype : p.scalar_type()));
    p.set_data(t);
  }
  for (auto& b : m.buffers()) b.set_data(b.to(device));
}

void init_like_hf(torch::nn::Module& m, double std) {
  torch::NoGradGuard no_grad;
  for (auto& item : m.named_parameters()) {
    auto& p = item.value();
    const std::string& name = item.key();
    if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0) p.zero_();
    else if (p.dim() >= 2) p.normal_(0.0, std);
    else p.fill_(1.0);
  }
}

double initializer_range(const nlohmann::json& config) {
  return config.value("initializer_range",
                      config.contains("text_config") ? config["text_config"].value("initializer_range", 0.02) : 0.02);
}

std::unique_ptr<lora::LoraModel> random_model_on(const std::filesystem::path& dir, const lora::ModelPlacement& placement,
                                                 double std) {
  auto model = unwritten_model(dir);
  allocate_on(model->module(), placement.device, placement.dtype);
  init_like_hf(model->module(), std);
  return model;
}

}  // namespace vltune::bench
