#include "core/lora/merge_export.h"

#include <set>

#include "core/error.h"
#include "core/io/json_file.h"
#include "core/io/safetensors_writer.h"
#include "core/lora/lora_factory.h"

namespace vltune::lora {

namespace fs = std::filesystem;

namespace {

torch::Dtype export_dtype(const std::string& name, const fs::path& where) {
  if (name.empty() || name == "float32") return torch::kFloat32;
  if (name == "bfloat16") return torch::kBFloat16;
  if (name == "float16") return torch::kFloat16;
  throw Error(where.string() + ": cannot export in dtype \"" + name + "\" (float32, bfloat16 or float16)");
}

// The files of a model folder that are not weights: copied as they are.
bool is_weight_file(const fs::path& p) {
  const std::string name = p.filename().string();
  const std::string ext = p.extension().string();
  return ext == ".safetensors" || ext == ".bin" || ext == ".pt" || ext == ".pth" || name == "model.safetensors.index.json" ||
         name == "pytorch_model.bin.index.json";
}

std::string shard_name(size_t i, size_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", i + 1, n);
  return buf;
}

}  // namespace

void export_merged(LoraModel& model, const fs::path& out_dir, const ExportParams& params) {
  const fs::path source = model.folder();
  // LLaMA-Factory refuses too: merging into 4-/8-bit weights would round the adapter away.
  if (has_quantized_base(model))
    throw Error(out_dir.string() + ": cannot merge the adapter into a quantised (4-bit or 8-bit) base model; "
                "dequantise the base first: open the model without quantization_bit (full precision or bf16), "
                "load the adapter, then export");
  if (fs::exists(out_dir) && fs::equivalent(out_dir, source))
    throw Error(out_dir.string() + ": export into a different folder than the model's own");
  const io::ModelConfig config = io::read_model_config(source);
  const torch::Dtype dtype = export_dtype(params.dtype.empty() ? config.dtype : params.dtype, source / "config.json");
  const auto report = [&](ExportPhase phase, uint64_t done, uint64_t total) {
    if (params.on_progress) params.on_progress({phase, done, total});
  };
  report(ExportPhase::merging, 0, 0);
  model.merge_active_adapters();

  // Tensors under save_pretrained's names; a tensor sharing storage with an earlier one (tied
  // lm_head) is left out.
  io::NamedTensors tensors;
  std::set<const void*> seen;
  for (const auto& item : model.module().named_parameters(/*recurse=*/true)) {
    const void* storage = item.value().data_ptr();
    if (!seen.insert(storage).second) continue;
    tensors.emplace_back(models::checkpoint_name(model.layout(), item.key()), item.value().detach().to(torch::kCPU).to(dtype));
  }

  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw FileError(out_dir.string() + ": cannot create the export folder: " + ec.message());
  // Shards in order, each up to max_shard_bytes.
  std::vector<io::NamedTensors> shards(1);
  uint64_t shard_bytes = 0, total = 0;
  for (auto& t : tensors) {
    const uint64_t bytes = static_cast<uint64_t>(t.second.numel()) * t.second.element_size();
    if (!shards.back().empty() && shard_bytes + bytes > params.max_shard_bytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back().push_back(std::move(t));
    shard_bytes += bytes;
    total += bytes;
  }
  const std::map<std::string, std::string> metadata{{"format", "pt"}};
  uint64_t written = 0;
  const auto shard_written = [&](const io::NamedTensors& shard) {
    for (const auto& [name, t] : shard) written += static_cast<uint64_t>(t.numel()) * t.element_size();
    report(ExportPhase::writing, written, total);
  };
  report(ExportPhase::writing, 0, total);
  if (shards.size() == 1) {
    io::save_safetensors(out_dir / "model.safetensors", shards.front(), metadata);
    shard_written(shards.front());
  } else {
    io::Json weight_map = io::Json::object();
    for (size_t i = 0; i < shards.size(); ++i) {
      const std::string file = shard_name(i, shards.size());
      io::save_safetensors(out_dir / file, shards[i], metadata);
      for (const auto& [name, t] : shards[i]) weight_map[name] = file;
      shard_written(shards[i]);
    }
    io::Json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
    io::write_json_file_atomic(out_dir / "model.safetensors.index.json", index);
  }
  // Everything else of the source folder (config, tokenizer, processor, generation, templates).
  report(ExportPhase::copying, written, total);
  for (const auto& entry : fs::directory_iterator(source)) {
    if (!entry.is_regular_file() || is_weight_file(entry.path())) continue;
    fs::copy_file(entry.path(), out_dir / entry.path().filename(), fs::copy_options::overwrite_existing, ec);
    if (ec) throw FileError((out_dir / entry.path().filename()).string() + ": cannot copy: " + ec.message());
  }
}

}  // namespace vltune::lora
