#include "core/eval/predict_job.h"

#include <map>
#include <string>

#include "core/error.h"
#include "core/gen/chat_defaults.h"
#include "core/text/image_placeholders.h"

namespace vltune::eval {

PredictData open_predict_data(const PredictDataParams& params) {
  PredictData out;
  out.dataset = data::open_dataset(params.dataset_dir, params.open);
  out.encoder = std::make_unique<data::SampleEncoder>(params.model_dir, params.encoder);
  if (out.encoder->family() == io::ModelFamily::clip)
    throw Error(params.model_dir.string() + ": CLIP generates no answers to predict");
  data::ValidationParams vp;
  vp.tmpl = out.encoder->chat_template();
  vp.tokenizer = &out.encoder->tokenizer();
  vp.layout = text::load_image_layout(params.model_dir);
  vp.supervised = params.encoder.supervised;
  out.report = data::validate_dataset(out.dataset, vp);
  return out;
}

std::vector<int64_t> predict_samples(const PredictData& data, data::ProblemPolicy policy,
                                     std::optional<int64_t> max_samples, int64_t* skipped) {
  const std::vector<size_t> usable = data::usable_records(data.dataset, data.report, policy, skipped);
  std::vector<int64_t> out;
  std::map<std::string, int64_t> taken;
  for (size_t i : usable) {
    if (max_samples && taken[data.dataset.records[i].dataset]++ >= *max_samples) continue;
    out.push_back(static_cast<int64_t>(i));
  }
  return out;
}

std::unique_ptr<lora::LoraModel> open_predict_model(const std::filesystem::path& model_dir,
                                                    const std::vector<std::filesystem::path>& adapter_dirs,
                                                    const lora::ModelPlacement& placement) {
  std::unique_ptr<lora::LoraModel> model = lora::open_model(model_dir, placement);
  std::vector<std::string> names;
  for (size_t k = 0; k < adapter_dirs.size(); ++k) {
    names.push_back(k == 0 ? "default" : "adapter_" + std::to_string(k));
    model->load_adapter(adapter_dirs[k], names.back());
  }
  model->set_active_adapters(names);
  return model;
}

}  // namespace vltune::eval
