#include "core/models/weight_loader.h"

#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "core/error.h"

namespace vltune::models {

namespace {

std::string renamed(const std::string& name, const WeightLoadOptions& options) {
  for (const auto& [from, to] : options.renames)
    if (name.compare(0, from.size(), from) == 0) return to + name.substr(from.size());
  return name;
}

std::string shape_text(c10::IntArrayRef shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string list_some(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size() && i < 8; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > 8) s += ", ... (" + std::to_string(names.size()) + " in all)";
  return s;
}

}  // namespace

WeightLoadReport load_weights(torch::nn::Module& module, const io::Checkpoint& checkpoint, const WeightLoadOptions& options) {
  const std::string source = checkpoint.source().string();
  std::map<std::string, std::string> by_module_name;  // module name -> checkpoint name
  std::vector<std::string> unused;
  for (const std::string& name : checkpoint.names()) {
    const std::string target = renamed(name, options);
    bool ignored = false;
    for (const auto& prefix : options.ignored_prefixes) ignored = ignored || target.compare(0, prefix.size(), prefix) == 0;
    if (ignored) continue;
    if (!by_module_name.emplace(target, name).second)
      throw FormatError(source + ": tensors \"" + by_module_name[target] + "\" and \"" + name + "\" both load into \"" +
                        target + "\"");
  }
  WeightLoadReport report;
  std::vector<std::string> missing;
  std::set<std::string> used;
  torch::NoGradGuard no_grad;
  for (auto& item : module.named_parameters(/*recurse=*/true)) {
    auto it = by_module_name.find(item.key());
    if (it == by_module_name.end()) {
      if (std::find(options.may_be_absent.begin(), options.may_be_absent.end(), item.key()) != options.may_be_absent.end())
        report.absent.push_back(item.key());
      else
        missing.push_back(item.key());
      continue;
    }
    const torch::Tensor tensor = checkpoint.tensor(it->second);
    torch::Tensor& param = item.value();
    if (tensor.sizes() != param.sizes())
      throw FormatError(source + ": tensor \"" + it->second + "\" has shape " + shape_text(tensor.sizes()) +
                        ", the model's \"" + item.key() + "\" needs " + shape_text(param.sizes()));
    if (options.dtype && param.is_floating_point())
      param.set_data(tensor.to(*options.dtype, /*non_blocking=*/false, /*copy=*/true));  // not a view of the file
    else
      param.copy_(tensor.to(param.scalar_type()));
    used.insert(item.key());
    ++report.tensors;
  }
  for (const auto& [target, name] : by_module_name)
    if (!used.count(target)) unused.push_back(name);
  if (!missing.empty())
    throw FormatError(source + ": the checkpoint lacks " + std::to_string(missing.size()) + " tensor(s) the model needs: " +
                      list_some(missing));
  if (!unused.empty())
    throw FormatError(source + ": " + std::to_string(unused.size()) + " tensor(s) are not part of the model: " +
                      list_some(unused));
  return report;
}

void place_module(torch::nn::Module& module, torch::Device device, torch::Dtype dtype) {
  torch::NoGradGuard no_grad;
  // Tensor by tensor, converted before they move (a CPU-to-GPU copy converts on the host): the
  // device never holds a float32 copy of a half-precision model, which module.to(device) first
  // would (15 GB for a 3B model on a 16 GB card). Tensors that share storage (lm_head tied to
  // the embeddings) stay shared: one converted copy serves them all, as module.to() would not.
  std::map<std::tuple<const void*, std::vector<int64_t>, std::vector<int64_t>>, torch::Tensor> placed;
  auto place = [&](torch::Tensor& t, bool convert) {
    const auto target = convert && t.is_floating_point() ? dtype : t.scalar_type();
    if (t.device() == device && t.scalar_type() == target) return;
    const auto key = std::make_tuple(static_cast<const void*>(t.data_ptr()), t.sizes().vec(), t.strides().vec());
    auto it = placed.find(key);
    if (it == placed.end() || t.numel() == 0) it = placed.insert_or_assign(key, t.to(device, target)).first;
    t.set_data(it->second);
  };
  for (auto& p : module.parameters()) place(p, /*convert=*/true);
  // Buffers (the rotary inv_freq) only change device.
  for (auto& b : module.buffers()) place(b, /*convert=*/false);
}

}  // namespace vltune::models
