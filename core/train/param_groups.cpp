#include "core/train/param_groups.h"

namespace vltune::train {

std::vector<OptimizerGroup> make_param_groups(const std::vector<TrainableParam>& params, const GroupParams& o) {
  auto group = [](const char* name, double lr, double wd) {
    OptimizerGroup g;
    g.name = name;
    g.lr = lr;
    g.weight_decay = wd;
    return g;
  };
  std::vector<OptimizerGroup> groups;
  // Index of each parameter's group in `groups`.
  std::vector<size_t> where(params.size());
  if (o.loraplus_lr_ratio > 0) {
    const double lr_b = o.learning_rate * o.loraplus_lr_ratio;
    groups = {group("lora_a", o.learning_rate, o.weight_decay), group("lora_b", lr_b, o.weight_decay),
              group("lora_b_nodecay", lr_b, 0.0), group("embedding", o.loraplus_lr_embedding, o.weight_decay)};
    for (size_t i = 0; i < params.size(); ++i) {
      const auto& p = params[i];
      const bool one_d = p.tensor.dim() < 2;
      if (p.group == ParamGroup::embedding) where[i] = 3;
      else if (p.group == ParamGroup::dora_magnitude) where[i] = 1;
      else if (p.group == ParamGroup::lora_B || one_d) where[i] = one_d ? 2 : 1;
      else where[i] = 0;
    }
  } else {
    groups = {group("decay", o.learning_rate, o.weight_decay), group("no_decay", o.learning_rate, 0.0)};
    for (size_t i = 0; i < params.size(); ++i)
      where[i] = params[i].tensor.dim() < 2 && params[i].group != ParamGroup::dora_magnitude ? 1 : 0;
  }
  for (size_t i = 0; i < params.size(); ++i) {
    groups[where[i]].names.push_back(params[i].name);
    groups[where[i]].params.push_back(params[i].tensor);
  }
  std::erase_if(groups, [](const OptimizerGroup& g) { return g.params.empty(); });
  return groups;
}

}  // namespace vltune::train
