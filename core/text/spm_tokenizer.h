#pragma once
// A tokenizer.model (SentencePiece) checkpoint, for checkpoints that ship no tokenizer.json
// (the original LLaVA-1.5 releases). Mirrors what transformers builds from such a file
// (LlamaTokenizer): added tokens from tokenizer_config.json / added_tokens.json are split out
// first; each text segment gets "▁" for spaces and a "▁" prefix (every segment when `legacy`,
// only the one at the start of the input otherwise) and goes through libsentencepiece with its
// own dummy prefix and whitespace clean-up off (transformers' converted tokenizer has neither;
// Llama-family models turn the clean-up off themselves); BOS/EOS follow add_bos_token /
// add_eos_token.

#include <filesystem>
#include <memory>
#include <unordered_set>

#include "core/text/added_vocabulary.h"
#include "core/text/decoders.h"
#include "core/text/sentencepiece_model.h"
#include "core/text/tokenizer.h"

namespace vltune::text {

struct SentencePieceTokenizerOptions {
  bool legacy = true;                    // tokenizer_config "legacy": prefix every segment (true) or only the first
  bool add_bos = true;                   // add_bos_token: BOS before the text when add_special
  bool add_eos = false;                  // add_eos_token: EOS after it when add_special
  std::vector<AddedToken> added_tokens;  // from added_tokens_decoder / added_tokens.json
};

class SentencePieceTokenizer final : public Tokenizer {
 public:
  SentencePieceTokenizer(const std::filesystem::path& model_file, SentencePieceTokenizerOptions options);

  std::vector<TokenId> encode(std::string_view text, bool add_special = false) const override;
  std::string decode(std::span<const TokenId> ids, bool skip_special = false) const override;
  std::optional<TokenId> token_to_id(std::string_view token) const override;
  std::optional<std::string> id_to_token(TokenId id) const override;
  int64_t vocab_size() const override;
  bool is_special(TokenId id) const override;
  std::string kind() const override { return "SentencePiece"; }

  void set_special_tokens(SpecialTokens specials);

 private:
  SentencePieceModel m_model;
  SentencePieceTokenizerOptions m_options;
  AddedVocabulary m_added;
  std::unique_ptr<TokenDecoder> m_decoder;
  std::unordered_set<TokenId> m_special_ids;
};

}  // namespace vltune::text
