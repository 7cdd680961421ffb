#pragma once
// The huggingface_hub cache on disk: where it is, what models it holds, and the layout for adding
// files to it, so that vltune and the Python tools (transformers, huggingface-cli) share one copy.
//
// Layout (huggingface_hub's file_download.py):
//   <root>/models--<org>--<name>/blobs/<sha256 for LFS files, git blob id otherwise>
//   <root>/models--<org>--<name>/snapshots/<commit>/<file>  -> relative symlink to ../../blobs/<hash>
//   <root>/models--<org>--<name>/refs/main                  the commit "main" resolved to

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/hf_config.h"

namespace vltune::io {

// The cache root as huggingface_hub computes it: $HF_HUB_CACHE, else $HF_HOME/hub, else
// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
std::filesystem::path hf_hub_cache_root();

// A model folder as the library shows it (a snapshot in the cache or any local folder).
struct LocalModel {
  std::string repo_id;                 // "org/name"; for a plain folder, the folder's name
  std::string commit;                  // snapshot commit; empty for a plain folder
  std::filesystem::path path;          // the folder holding config.json
  std::string model_type;              // config.json model_type ("" when unreadable)
  std::optional<ModelFamily> family;   // none when vltune does not support the model_type
  std::string dtype;                   // config dtype / torch_dtype; "" when absent
  uint64_t size_bytes = 0;             // all files, symlinks followed, each blob counted once
  std::string problem;                 // why the config could not be read; "" when fine
};

// Reads config.json in `folder` (family, dtype) and sums its files. Never throws for a bad
// config: the reason goes to `problem`, so one broken model does not hide the others.
LocalModel describe_model_folder(const std::filesystem::path& folder);

// Every models--*--* repo under `cache_root` with a snapshot holding config.json: the one
// refs/main names, else the newest snapshot. Sorted by repo id. A missing root gives none.
std::vector<LocalModel> list_cached_models(const std::filesystem::path& cache_root);

// --- writing ----------------------------------------------------------------------------------

// "org/name" -> "models--org--name".
std::string repo_folder_name(std::string_view repo_id);
// <root>/models--org--name.
std::filesystem::path repo_cache_dir(const std::filesystem::path& cache_root, std::string_view repo_id);
// <repo>/blobs/<hash>.
std::filesystem::path blob_path(const std::filesystem::path& repo_dir, std::string_view hash);
// <repo>/snapshots/<commit>.
std::filesystem::path snapshot_dir(const std::filesystem::path& repo_dir, std::string_view commit);

// Points snapshots/<commit>/<file> at blobs/<hash> with a relative symlink (so the cache can be
// moved), replacing an older link. `file` may hold '/' (nested files get more "../").
void link_snapshot_file(const std::filesystem::path& repo_dir, std::string_view commit,
                        std::string_view file, std::string_view hash);

// Writes refs/<ref> = commit (atomically, no trailing newline, as huggingface_hub does).
void write_ref(const std::filesystem::path& repo_dir, std::string_view ref, std::string_view commit);
// The commit refs/<ref> names; nullopt when absent.
std::optional<std::string> read_ref(const std::filesystem::path& repo_dir, std::string_view ref);

}  // namespace vltune::io
