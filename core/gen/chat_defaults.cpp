#include "core/gen/chat_defaults.h"

#include <algorithm>

#include "core/io/aux_configs.h"
#include "core/text/chat_template.h"

namespace vltune::gen {

std::vector<int64_t> chat_eos_ids(const std::filesystem::path& model_dir, const data::SampleEncoder& encoder) {
  std::vector<int64_t> eos;
  const auto config = model_dir / "generation_config.json";
  if (std::filesystem::exists(config)) eos = io::read_generation_config(config).eos_token_ids;
  if (encoder.chat_template()) {
    const int64_t id = text::template_eos_id(*encoder.chat_template(), encoder.tokenizer());
    if (id >= 0 && std::find(eos.begin(), eos.end(), id) == eos.end()) eos.push_back(id);
  }
  return eos;
}

GenerationParams chat_generation_defaults(const std::filesystem::path& model_dir, const data::SampleEncoder& encoder) {
  GenerationParams p = read_generation_params(model_dir);
  p.stop_ids = chat_eos_ids(model_dir, encoder);
  return p;
}

}  // namespace vltune::gen
