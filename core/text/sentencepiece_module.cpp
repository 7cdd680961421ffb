// libvltune_sentencepiece: the only code that links libsentencepiece (see sentencepiece_abi.h).
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include "core/text/sentencepiece_abi.h"

#define VLTUNE_SPM_EXPORT extern "C" __attribute__((visibility("default")))

struct vltune_spm {
  sentencepiece::SentencePieceProcessor processor;
};

namespace {

thread_local std::string t_last_error;

template <typename T>
T* copy_out(const T* data, size_t count) {
  auto* out = static_cast<T*>(std::malloc(count ? count * sizeof(T) : 1));
  if (out && count) std::memcpy(out, data, count * sizeof(T));
  return out;
}

}  // namespace

VLTUNE_SPM_EXPORT int vltune_spm_abi_version(void) { return VLTUNE_SPM_ABI_VERSION; }
VLTUNE_SPM_EXPORT const char* vltune_spm_last_error(void) { return t_last_error.c_str(); }

namespace {

// A new model filled by `load(processor)`, or NULL with the error recorded.
template <typename Load>
vltune_spm* load_model(Load&& load) {
  try {
    auto model = std::make_unique<vltune_spm>();
    const auto status = load(model->processor);
    if (!status.ok()) {
      t_last_error = status.ToString();
      return nullptr;
    }
    return model.release();
  } catch (const std::exception& e) {
    t_last_error = e.what();
    return nullptr;
  }
}

}  // namespace

VLTUNE_SPM_EXPORT vltune_spm* vltune_spm_load(const char* path) {
  return load_model([&](sentencepiece::SentencePieceProcessor& p) { return p.Load(path); });
}

VLTUNE_SPM_EXPORT vltune_spm* vltune_spm_load_bytes(const char* data, size_t len) {
  return load_model([&](sentencepiece::SentencePieceProcessor& p) {
    return p.LoadFromSerializedProto(std::string_view(data, len));
  });
}

VLTUNE_SPM_EXPORT void vltune_spm_free(vltune_spm* model) { delete model; }

VLTUNE_SPM_EXPORT int64_t vltune_spm_encode(const vltune_spm* model, const char* text,
                                            size_t text_len, int32_t** ids) {
  try {
    std::vector<int> out;
    const auto status = model->processor.Encode(std::string_view(text, text_len), &out);
    if (!status.ok()) {
      t_last_error = status.ToString();
      return -1;
    }
    std::vector<int32_t> narrow(out.begin(), out.end());
    *ids = copy_out(narrow.data(), narrow.size());
    return static_cast<int64_t>(narrow.size());
  } catch (const std::exception& e) {
    t_last_error = e.what();
    return -1;
  }
}

VLTUNE_SPM_EXPORT char* vltune_spm_decode(const vltune_spm* model, const int32_t* ids, size_t count,
                                          size_t* len) {
  try {
    std::vector<int> in(ids, ids + count);
    std::string text;
    const auto status = model->processor.Decode(in, &text);
    if (!status.ok()) {
      t_last_error = status.ToString();
      return nullptr;
    }
    *len = text.size();
    return copy_out(text.data(), text.size());
  } catch (const std::exception& e) {
    t_last_error = e.what();
    return nullptr;
  }
}

VLTUNE_SPM_EXPORT void vltune_spm_release(void* buffer) { std::free(buffer); }

VLTUNE_SPM_EXPORT int32_t vltune_spm_piece_count(const vltune_spm* model) {
  return model->processor.GetPieceSize();
}

VLTUNE_SPM_EXPORT char* vltune_spm_id_to_piece(const vltune_spm* model, int32_t id, size_t* len) {
  if (id < 0 || id >= model->processor.GetPieceSize()) {
    t_last_error = "id " + std::to_string(id) + " is out of range";
    return nullptr;
  }
  const std::string& piece = model->processor.IdToPiece(id);
  *len = piece.size();
  return copy_out(piece.data(), piece.size());
}

VLTUNE_SPM_EXPORT int32_t vltune_spm_piece_to_id(const vltune_spm* model, const char* piece,
                                                 size_t len) {
  return model->processor.PieceToId(std::string_view(piece, len));
}

VLTUNE_SPM_EXPORT int32_t vltune_spm_unk_id(const vltune_spm* model) { return model->processor.unk_id(); }
VLTUNE_SPM_EXPORT int32_t vltune_spm_bos_id(const vltune_spm* model) { return model->processor.bos_id(); }
VLTUNE_SPM_EXPORT int32_t vltune_spm_eos_id(const vltune_spm* model) { return model->processor.eos_id(); }
VLTUNE_SPM_EXPORT int32_t vltune_spm_pad_id(const vltune_spm* model) { return model->processor.pad_id(); }

VLTUNE_SPM_EXPORT int vltune_spm_train(const char* flags) {
  try {
    const auto status = sentencepiece::SentencePieceTrainer::Train(flags);
    if (!status.ok()) {
      t_last_error = status.ToString();
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    t_last_error = e.what();
    return 1;
  }
}
