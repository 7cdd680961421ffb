#include "core/train/train_checkpoint.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <system_error>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_writer.h"

namespace fs = std::filesystem;

namespace vltune::train {

namespace {

constexpr std::string_view kPrefix = "checkpoint-";
constexpr std::string_view kTempPrefix = "tmp-checkpoint-";

// "checkpoint-<digits>" -> step.
std::optional<int64_t> step_of(const std::string& name) {
  if (!name.starts_with(kPrefix) || name.size() == kPrefix.size()) return std::nullopt;
  int64_t step = 0;
  const char* first = name.data() + kPrefix.size();
  const char* last = name.data() + name.size();
  auto [ptr, ec] = std::from_chars(first, last, step);
  if (ec != std::errc() || ptr != last) return std::nullopt;
  return step;
}

void remove_all_or_throw(const fs::path& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) throw FileError(dir.string() + ": cannot remove (" + ec.message() + ")");
}

void save_rng_state(const fs::path& file, const RngState& rng) {
  io::NamedTensors tensors;
  if (rng.cpu.defined()) tensors.emplace_back("cpu", rng.cpu);
  for (size_t i = 0; i < rng.cuda.size(); ++i) tensors.emplace_back("cuda." + std::to_string(i), rng.cuda[i]);
  io::save_safetensors(file, tensors, {{"format", "vltune-rng"}});
}

}  // namespace

fs::path checkpoint_dir(const fs::path& output_dir, int64_t step) {
  return output_dir / (std::string(kPrefix) + std::to_string(step));
}

std::vector<std::pair<int64_t, fs::path>> list_checkpoints(const fs::path& output_dir) {
  std::vector<std::pair<int64_t, fs::path>> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(output_dir, ec)) {
    if (!entry.is_directory()) continue;
    if (auto step = step_of(entry.path().filename().string())) out.emplace_back(*step, entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<fs::path> latest_checkpoint(const fs::path& output_dir) {
  auto all = list_checkpoints(output_dir);
  if (all.empty()) return std::nullopt;
  return all.back().second;
}

fs::path write_checkpoint(const fs::path& output_dir, const TrainableModel& model, const AdamW& optimizer,
                          const RngState& rng, const RunState& state, const io::Json& trainer_state) {
  const std::string step = std::to_string(state.global_step);
  const fs::path target = checkpoint_dir(output_dir, state.global_step);
  const fs::path temp = output_dir / (std::string(kTempPrefix) + step);
  remove_all_or_throw(temp);
  std::error_code ec;
  fs::create_directories(temp, ec);
  if (ec) throw FileError(temp.string() + ": cannot create (" + ec.message() + ")");

  model.save_trained(temp);
  optimizer.save(temp / kOptimizerFile);
  save_rng_state(temp / kRngStateFile, rng);
  io::write_json_file_atomic(temp / kRunStateFile, run_state_to_json(state));
  io::write_json_file_atomic(temp / kTrainerStateFile, trainer_state);

  // A checkpoint of this step already there (a resumed run saving its step again) goes aside first:
  // rename() cannot replace a non-empty folder.
  const fs::path old = output_dir / (std::string(kTempPrefix) + step + "-old");
  if (fs::exists(target)) {
    remove_all_or_throw(old);
    fs::rename(target, old, ec);
    if (ec) throw FileError(target.string() + ": cannot move aside (" + ec.message() + ")");
  }
  fs::rename(temp, target, ec);
  if (ec) throw FileError(target.string() + ": cannot rename " + temp.string() + " to it (" + ec.message() + ")");
  remove_all_or_throw(old);
  return target;
}

void rotate_checkpoints(const fs::path& output_dir, int64_t limit) {
  if (limit <= 0) return;
  auto all = list_checkpoints(output_dir);
  for (size_t i = 0; i + static_cast<size_t>(limit) < all.size(); ++i) remove_all_or_throw(all[i].second);
}

void remove_temporary_checkpoints(const fs::path& output_dir) {
  std::error_code ec;
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(output_dir, ec))
    if (entry.is_directory() && entry.path().filename().string().starts_with(kTempPrefix)) stale.push_back(entry.path());
  for (const auto& dir : stale) remove_all_or_throw(dir);
}

RunState read_run_state(const fs::path& checkpoint) {
  const fs::path file = checkpoint / kRunStateFile;
  return run_state_from_json(io::read_json_file(file), file.string());
}

RngState read_rng_state(const fs::path& checkpoint) {
  const fs::path file = checkpoint / kRngStateFile;
  const auto f = io::SafetensorsFile::open(file);
  RngState rng;
  if (!f.contains("cpu")) throw FormatError(file.string() + ": no \"cpu\" generator state");
  rng.cpu = f.tensor("cpu").clone();
  for (size_t i = 0; f.contains("cuda." + std::to_string(i)); ++i) rng.cuda.push_back(f.tensor("cuda." + std::to_string(i)).clone());
  return rng;
}

}  // namespace vltune::train
