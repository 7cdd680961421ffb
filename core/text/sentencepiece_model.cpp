#include "core/text/sentencepiece_model.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>

#include "core/error.h"
#include "core/text/sentencepiece_abi.h"

namespace vltune::text {

namespace fs = std::filesystem;

// The dlopen()ed module and its entry points, loaded once per process.
class SentencePieceModule {
 public:
  static const SentencePieceModule& get() {
    static std::once_flag once;
    static std::unique_ptr<SentencePieceModule> module;
    static std::string error;
    std::call_once(once, [] {
      try {
        module.reset(new SentencePieceModule);
      } catch (const std::exception& e) {
        error = e.what();
      }
    });
    if (!module) throw Error(error);
    return *module;
  }

  fs::path path;
  decltype(&vltune_spm_last_error) last_error = nullptr;
  decltype(&vltune_spm_load) load = nullptr;
  decltype(&vltune_spm_load_bytes) load_bytes = nullptr;
  decltype(&vltune_spm_free) free = nullptr;
  decltype(&vltune_spm_encode) encode = nullptr;
  decltype(&vltune_spm_decode) decode = nullptr;
  decltype(&vltune_spm_release) release = nullptr;
  decltype(&vltune_spm_piece_count) piece_count = nullptr;
  decltype(&vltune_spm_id_to_piece) id_to_piece = nullptr;
  decltype(&vltune_spm_piece_to_id) piece_to_id = nullptr;
  decltype(&vltune_spm_unk_id) unk_id = nullptr;
  decltype(&vltune_spm_bos_id) bos_id = nullptr;
  decltype(&vltune_spm_eos_id) eos_id = nullptr;
  decltype(&vltune_spm_pad_id) pad_id = nullptr;
  decltype(&vltune_spm_train) train = nullptr;

 private:
  static constexpr const char* kFileName = "libvltune_sentencepiece.so";

  // $VLTUNE_SENTENCEPIECE_MODULE, then beside the executable (build tree), then the install
  // layout <prefix>/bin/../lib/vltune/, then the build tree this binary came from.
  static std::vector<fs::path> candidates() {
    std::vector<fs::path> out;
    if (const char* env = std::getenv("VLTUNE_SENTENCEPIECE_MODULE"); env && *env) out.emplace_back(env);
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
      out.push_back(exe.parent_path() / kFileName);
      out.push_back(exe.parent_path().parent_path() / "lib" / "vltune" / kFileName);
    }
#ifdef VLTUNE_MODULE_BUILD_DIR
    out.push_back(fs::path(VLTUNE_MODULE_BUILD_DIR) / kFileName);
#endif
    return out;
  }

  template <typename F>
  void resolve(void* handle, F& slot, const char* name) {
    slot = reinterpret_cast<F>(::dlsym(handle, name));
    if (!slot) throw Error(path.string() + ": missing symbol " + name + " (stale module?)");
  }

  SentencePieceModule() {
    std::string tried;
    void* handle = nullptr;
    for (const fs::path& candidate : candidates()) {
      if (!fs::exists(candidate)) {
        tried += "\n  " + candidate.string() + " (not there)";
        continue;
      }
      // RTLD_DEEPBIND: sentencepiece binds to its own protobuf-lite, not LibTorch's libprotobuf.
      handle = ::dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
      if (handle) {
        path = candidate;
        break;
      }
      tried += "\n  " + candidate.string() + " (" + ::dlerror() + ")";
    }
    if (!handle)
      throw Error("cannot load the SentencePiece module " + std::string(kFileName) +
                  "; tried:" + tried + "\nSet VLTUNE_SENTENCEPIECE_MODULE to its path.");
    decltype(&vltune_spm_abi_version) abi = nullptr;
    resolve(handle, abi, "vltune_spm_abi_version");
    if (abi() != VLTUNE_SPM_ABI_VERSION)
      throw Error(path.string() + ": module ABI version " + std::to_string(abi()) + ", expected " +
                  std::to_string(VLTUNE_SPM_ABI_VERSION));
    resolve(handle, last_error, "vltune_spm_last_error");
    resolve(handle, load, "vltune_spm_load");
    resolve(handle, load_bytes, "vltune_spm_load_bytes");
    resolve(handle, free, "vltune_spm_free");
    resolve(handle, encode, "vltune_spm_encode");
    resolve(handle, decode, "vltune_spm_decode");
    resolve(handle, release, "vltune_spm_release");
    resolve(handle, piece_count, "vltune_spm_piece_count");
    resolve(handle, id_to_piece, "vltune_spm_id_to_piece");
    resolve(handle, piece_to_id, "vltune_spm_piece_to_id");
    resolve(handle, unk_id, "vltune_spm_unk_id");
    resolve(handle, bos_id, "vltune_spm_bos_id");
    resolve(handle, eos_id, "vltune_spm_eos_id");
    resolve(handle, pad_id, "vltune_spm_pad_id");
    resolve(handle, train, "vltune_spm_train");
    // Never dlclose: models may outlive any owner we could tie the handle to.
  }
};

struct SentencePieceModel::Handle {
  const SentencePieceModule* module = nullptr;
  vltune_spm* model = nullptr;
  fs::path path;
  ~Handle() {
    if (model) module->free(model);
  }
};

SentencePieceModel SentencePieceModel::load(const fs::path& path, const SentencePieceLoadOptions& options) {
  if (!fs::is_regular_file(path)) throw FileError(path.string() + ": no such file");
  const auto& module = SentencePieceModule::get();
  auto handle = std::make_shared<Handle>();
  handle->module = &module;
  handle->path = path;
  if (options.add_dummy_prefix && options.remove_extra_whitespaces) {
    handle->model = module.load(path.c_str());
  } else {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) throw FileError(path.string() + ": cannot be read");
    // Protobuf merges repeated occurrences of a message field, so appending
    // normalizer_spec (field 3) { add_dummy_prefix (field 3), remove_extra_whitespaces (field 4) }
    // overrides those settings, as transformers does by editing the proto.
    const char spec[] = {'\x1a', '\x04', '\x18', static_cast<char>(options.add_dummy_prefix), '\x20',
                         static_cast<char>(options.remove_extra_whitespaces)};
    bytes.append(spec, sizeof spec);
    handle->model = module.load_bytes(bytes.data(), bytes.size());
  }
  if (!handle->model)
    throw FormatError(path.string() + ": not a SentencePiece model (" + module.last_error() + ")");
  SentencePieceModel out;
  out.m_handle = std::move(handle);
  return out;
}

std::vector<int32_t> SentencePieceModel::encode(std::string_view text) const {
  int32_t* ids = nullptr;
  const int64_t n = m_handle->module->encode(m_handle->model, text.data(), text.size(), &ids);
  if (n < 0)
    throw Error(m_handle->path.string() + ": encode failed (" + m_handle->module->last_error() + ")");
  std::vector<int32_t> out(ids, ids + n);
  m_handle->module->release(ids);
  return out;
}

std::string SentencePieceModel::decode(const std::vector<int32_t>& ids) const {
  size_t len = 0;
  char* text = m_handle->module->decode(m_handle->model, ids.data(), ids.size(), &len);
  if (!text)
    throw Error(m_handle->path.string() + ": decode failed (" + m_handle->module->last_error() + ")");
  std::string out(text, len);
  m_handle->module->release(text);
  return out;
}

int32_t SentencePieceModel::piece_count() const { return m_handle->module->piece_count(m_handle->model); }

std::string SentencePieceModel::id_to_piece(int32_t id) const {
  size_t len = 0;
  char* piece = m_handle->module->id_to_piece(m_handle->model, id, &len);
  if (!piece)
    throw Error(m_handle->path.string() + ": " + m_handle->module->last_error());
  std::string out(piece, len);
  m_handle->module->release(piece);
  return out;
}

int32_t SentencePieceModel::piece_to_id(std::string_view piece) const {
  return m_handle->module->piece_to_id(m_handle->model, piece.data(), piece.size());
}

int32_t SentencePieceModel::unk_id() const { return m_handle->module->unk_id(m_handle->model); }
int32_t SentencePieceModel::bos_id() const { return m_handle->module->bos_id(m_handle->model); }
int32_t SentencePieceModel::eos_id() const { return m_handle->module->eos_id(m_handle->model); }
int32_t SentencePieceModel::pad_id() const { return m_handle->module->pad_id(m_handle->model); }

void train_sentencepiece_model(const std::string& flags) {
  const auto& module = SentencePieceModule::get();
  if (module.train(flags.c_str()) != 0)
    throw Error("SentencePiece training failed: " + std::string(module.last_error()));
}

fs::path sentencepiece_module_path() { return SentencePieceModule::get().path; }

}  // namespace vltune::text
