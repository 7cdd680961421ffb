#include "core/io/hf_cache.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "core/error.h"
#include "core/io/json_file.h"

namespace fs = std::filesystem;

namespace vltune::io {

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

// Total bytes of the files under `folder`, following the snapshot symlinks to their blobs and
// counting a blob once even when two names point at it.
uint64_t folder_size(const fs::path& folder) {
  std::error_code ec;
  std::set<fs::path> seen;
  uint64_t total = 0;
  fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code file_ec;
    if (!it->is_regular_file(file_ec)) continue;  // follows symlinks; dangling links are skipped
    const fs::path target = fs::canonical(it->path(), file_ec);
    if (file_ec || !seen.insert(target).second) continue;
    const auto size = fs::file_size(target, file_ec);
    if (!file_ec) total += size;
  }
  return total;
}

// "models--org--name" -> "org/name"; "" when the folder is not a model repo.
std::string repo_id_from_folder(const std::string& folder) {
  const std::string prefix = "models--";
  if (folder.rfind(prefix, 0) != 0) return {};
  std::string rest = folder.substr(prefix.size());
  std::string out;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest.compare(i, 2, "--") == 0) {
      out += '/';
      ++i;
    } else {
      out += rest[i];
    }
  }
  return out;
}

// The snapshot to show for a repo: refs/main's when it has config.json, else the newest one that has.
std::optional<fs::path> pick_snapshot(const fs::path& repo_dir) {
  std::error_code ec;
  if (auto main = read_ref(repo_dir, "main")) {
    const fs::path dir = snapshot_dir(repo_dir, *main);
    if (fs::exists(dir / "config.json", ec)) return dir;
  }
  std::optional<fs::path> best;
  fs::file_time_type best_time{};
  for (const auto& entry : fs::directory_iterator(repo_dir / "snapshots", ec)) {
    std::error_code e;
    if (!fs::exists(entry.path() / "config.json", e)) continue;
    const auto time = fs::last_write_time(entry.path(), e);
    if (!best || time > best_time) {
      best = entry.path();
      best_time = time;
    }
  }
  return best;
}

}  // namespace

fs::path hf_hub_cache_root() {
  if (auto hub = env("HF_HUB_CACHE"); !hub.empty()) return hub;
  if (auto home = env("HF_HOME"); !home.empty()) return fs::path(home) / "hub";
  if (auto xdg = env("XDG_CACHE_HOME"); !xdg.empty()) return fs::path(xdg) / "huggingface" / "hub";
  return fs::path(env("HOME")) / ".cache" / "huggingface" / "hub";
}

LocalModel describe_model_folder(const fs::path& folder) {
  LocalModel model;
  model.path = folder;
  model.repo_id = folder.filename().string();
  try {
    // model_type and dtype from the raw JSON first: they are shown even for families vltune
    // cannot load (read_model_config rejects those).
    const Json raw = read_json_file(folder / "config.json");
    model.model_type = raw.value("model_type", std::string());
    if (raw.contains("dtype") && raw["dtype"].is_string())
      model.dtype = raw["dtype"].get<std::string>();
    else if (raw.contains("torch_dtype") && raw["torch_dtype"].is_string())
      model.dtype = raw["torch_dtype"].get<std::string>();
    const ModelConfig config = read_model_config(folder);
    model.family = config.family();
    if (!config.dtype.empty()) model.dtype = config.dtype;
  } catch (const std::exception& e) {
    model.problem = e.what();
  }
  model.size_bytes = folder_size(folder);
  return model;
}

std::vector<LocalModel> list_cached_models(const fs::path& cache_root) {
  std::vector<LocalModel> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(cache_root, ec)) {
    const std::string repo_id = repo_id_from_folder(entry.path().filename().string());
    if (repo_id.empty() || !entry.is_directory(ec)) continue;
    const auto snapshot = pick_snapshot(entry.path());
    if (!snapshot) continue;
    LocalModel model = describe_model_folder(*snapshot);
    model.repo_id = repo_id;
    model.commit = snapshot->filename().string();
    out.push_back(std::move(model));
  }
  std::sort(out.begin(), out.end(),
            [](const LocalModel& a, const LocalModel& b) { return a.repo_id < b.repo_id; });
  return out;
}

std::string repo_folder_name(std::string_view repo_id) {
  std::string out = "models--";
  for (char c : repo_id) {
    if (c == '/')
      out += "--";
    else
      out += c;
  }
  return out;
}

fs::path repo_cache_dir(const fs::path& cache_root, std::string_view repo_id) {
  return cache_root / repo_folder_name(repo_id);
}

fs::path blob_path(const fs::path& repo_dir, std::string_view hash) {
  return repo_dir / "blobs" / std::string(hash);
}

fs::path snapshot_dir(const fs::path& repo_dir, std::string_view commit) {
  return repo_dir / "snapshots" / std::string(commit);
}

void link_snapshot_file(const fs::path& repo_dir, std::string_view commit, std::string_view file,
                        std::string_view hash) {
  const fs::path link = snapshot_dir(repo_dir, commit) / std::string(file);
  std::error_code ec;
  fs::create_directories(link.parent_path(), ec);
  if (ec) throw FileError(link.parent_path().string() + ": cannot create folder: " + ec.message());
  // Relative to the link's folder, so the whole cache can be moved or mounted elsewhere.
  const fs::path target = fs::relative(blob_path(repo_dir, hash), link.parent_path(), ec);
  if (ec) throw FileError(link.string() + ": cannot compute the blob path: " + ec.message());
  fs::remove(link, ec);
  fs::create_symlink(target, link, ec);
  if (ec) throw FileError(link.string() + ": cannot create symlink: " + ec.message());
}

void write_ref(const fs::path& repo_dir, std::string_view ref, std::string_view commit) {
  const fs::path path = repo_dir / "refs" / std::string(ref);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) throw FileError(path.parent_path().string() + ": cannot create folder: " + ec.message());
  write_file_atomic(path, commit);
}

std::optional<std::string> read_ref(const fs::path& repo_dir, std::string_view ref) {
  std::ifstream in(repo_dir / "refs" / std::string(ref));
  if (!in) return std::nullopt;
  std::string commit;
  in >> commit;  // stops at whitespace: tolerates a trailing newline written by other tools
  if (commit.empty()) return std::nullopt;
  return commit;
}

}  // namespace vltune::io
