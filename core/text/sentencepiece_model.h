#pragma once
// SentencePiece models (tokenizer.model) through the isolated libvltune_sentencepiece module.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vltune::text {

class SentencePieceModule;

struct SentencePieceLoadOptions {
  bool add_dummy_prefix = true;          // false: never prepend "▁" (the caller handles prefixes itself)
  bool remove_extra_whitespaces = true;  // false: keep leading/repeated spaces (and a leading "▁")
};

class SentencePieceModel {
 public:
  // Loads `path`. Throws FileError when it is missing, FormatError naming the file when
  // sentencepiece rejects it, Error when the module cannot be loaded.
  static SentencePieceModel load(const std::filesystem::path& path, const SentencePieceLoadOptions& options = {});

  std::vector<int32_t> encode(std::string_view text) const;
  std::string decode(const std::vector<int32_t>& ids) const;
  int32_t piece_count() const;
  std::string id_to_piece(int32_t id) const;
  int32_t piece_to_id(std::string_view piece) const;
  int32_t unk_id() const;
  int32_t bos_id() const;
  int32_t eos_id() const;
  int32_t pad_id() const;

 private:
  struct Handle;
  std::shared_ptr<Handle> m_handle;
};

// Trains a model with SentencePieceTrainer flags (tests build tiny models this way).
// Throws Error with sentencepiece's message on failure.
void train_sentencepiece_model(const std::string& flags);

// Where the module was found (after the first load), for diagnostics.
std::filesystem::path sentencepiece_module_path();

}  // namespace vltune::text
