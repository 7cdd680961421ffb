#pragma once
// The C interface of the libvltune_sentencepiece module (sentencepiece_module.cpp).
//
// Why a module: Debian's libsentencepiece carries its own protobuf-lite, whose symbols clash with
// the full libprotobuf LibTorch loads. Linked into one binary, the process crashes before main()
// (libsentencepiece first) or sentencepiece aborts on its protobuf version check at first use
// (libprotobuf first). The engine therefore never links libsentencepiece: it dlopen()s this
// module with RTLD_LOCAL | RTLD_DEEPBIND, so sentencepiece binds to its own protobuf and LibTorch
// to its own. Only C types cross this line.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VLTUNE_SPM_ABI_VERSION 2

typedef struct vltune_spm vltune_spm;

int vltune_spm_abi_version(void);
// The message of the last failed call on this thread ("" if none).
const char* vltune_spm_last_error(void);

// Loads a tokenizer.model file; NULL on failure (see vltune_spm_last_error).
vltune_spm* vltune_spm_load(const char* path);
// Loads a model from the bytes of a tokenizer.model file (a serialized ModelProto); NULL on failure.
vltune_spm* vltune_spm_load_bytes(const char* data, size_t len);
void vltune_spm_free(vltune_spm* model);

// Encodes UTF-8 `text` into ids. Returns the count and a malloc'd array in *ids (free it with
// vltune_spm_release), or -1 on failure.
int64_t vltune_spm_encode(const vltune_spm* model, const char* text, size_t text_len, int32_t** ids);
// Decodes ids into malloc'd UTF-8 (not NUL-terminated; *len bytes); NULL on failure.
char* vltune_spm_decode(const vltune_spm* model, const int32_t* ids, size_t count, size_t* len);
void vltune_spm_release(void* buffer);

int32_t vltune_spm_piece_count(const vltune_spm* model);
// The piece for `id` as malloc'd UTF-8 (*len bytes); NULL when out of range.
char* vltune_spm_id_to_piece(const vltune_spm* model, int32_t id, size_t* len);
// The id of `piece`, or the unknown id when it is not in the vocabulary.
int32_t vltune_spm_piece_to_id(const vltune_spm* model, const char* piece, size_t len);
// Special ids (-1 when the model has none).
int32_t vltune_spm_unk_id(const vltune_spm* model);
int32_t vltune_spm_bos_id(const vltune_spm* model);
int32_t vltune_spm_eos_id(const vltune_spm* model);
int32_t vltune_spm_pad_id(const vltune_spm* model);

// Trains a model with SentencePieceTrainer's flag string ("--input=... --model_prefix=...").
// Returns 0 on success.
int vltune_spm_train(const char* flags);

#ifdef __cplusplus
}
#endif
