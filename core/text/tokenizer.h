#pragma once
// One interface over every tokenizer a checkpoint can ship: tokenizer.json (Hugging Face
// tokenizers format, hf_tokenizer.h) and tokenizer.model (SentencePiece, spm_tokenizer.h).
// Tokenizers are immutable after loading and safe to share between threads.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vltune::text {

using TokenId = int32_t;

// The roles tokenizer_config.json gives to tokens, resolved to ids where the vocabulary has them.
struct SpecialTokens {
  std::optional<std::string> bos;  // beginning of sequence, e.g. "<s>"; none when the model has none
  std::optional<std::string> eos;  // end of sequence / end of turn, e.g. "<|im_end|>"
  std::optional<std::string> pad;  // padding
  std::optional<std::string> unk;  // unknown
  std::optional<TokenId> bos_id;   // id of `bos` (none when absent or not in the vocabulary)
  std::optional<TokenId> eos_id;   // id of `eos`
  std::optional<TokenId> pad_id;   // id of `pad`
  std::optional<TokenId> unk_id;   // id of `unk`
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Token ids of UTF-8 `text`. Added and special tokens written in the text are recognised;
  // `add_special` applies the post-processor (BOS, CLIP's start/end tokens...). Throws
  // FormatError when `text` is not valid UTF-8.
  virtual std::vector<TokenId> encode(std::string_view text, bool add_special = false) const = 0;

  // The text of `ids`; `skip_special` leaves out special tokens. Never produces invalid UTF-8:
  // incomplete byte sequences become U+FFFD. Ids outside the vocabulary are skipped.
  virtual std::string decode(std::span<const TokenId> ids, bool skip_special = false) const = 0;

  // The id of a token written as the vocabulary stores it ("<|im_start|>", "Ġthe"), or none.
  virtual std::optional<TokenId> token_to_id(std::string_view token) const = 0;
  // The vocabulary's string for `id`, or none.
  virtual std::optional<std::string> id_to_token(TokenId id) const = 0;
  // Size of the id space: one past the largest id (added tokens included).
  virtual int64_t vocab_size() const = 0;
  // Whether `id` is a special token (skipped by decode(..., skip_special = true)).
  virtual bool is_special(TokenId id) const = 0;
  // What kind of file this came from, for messages: "tokenizer.json (BPE)", "SentencePiece".
  virtual std::string kind() const = 0;

  const SpecialTokens& special_tokens() const { return m_specials; }
  // The file the vocabulary came from.
  const std::filesystem::path& source() const { return m_source; }

  // The id of `token`, or FormatError naming the token and this tokenizer's file.
  TokenId require_id(std::string_view token) const;

 protected:
  SpecialTokens m_specials;
  std::filesystem::path m_source;
};

// Loads a tokenizer from a tokenizer.json file, a tokenizer.model file, or a model folder (which
// must hold one of them; tokenizer.json wins). tokenizer_config.json beside it, when present,
// names the special tokens (and, for SentencePiece, the added tokens and BOS/EOS policy).
// Throws FileError when nothing is there, FormatError naming the file and the unsupported or
// malformed piece otherwise.
std::shared_ptr<const Tokenizer> load_tokenizer(const std::filesystem::path& path);

}  // namespace vltune::text
