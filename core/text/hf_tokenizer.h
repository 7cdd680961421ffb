#pragma once
// A tokenizer.json (Hugging Face tokenizers format) pipeline: added tokens, normalizer,
// pre-tokenizer, BPE model, post-processor, decoder — the parts real VLM checkpoints use.

#include <filesystem>
#include <memory>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/text/added_vocabulary.h"
#include "core/text/bpe_model.h"
#include "core/text/decoders.h"
#include "core/text/normalizers.h"
#include "core/text/post_processors.h"
#include "core/text/pre_tokenizers.h"
#include "core/text/tokenizer.h"

namespace vltune::text {

class HfTokenizer final : public Tokenizer {
 public:
  // Parses `spec` (the whole tokenizer.json); `file` names it in errors.
  HfTokenizer(const nlohmann::json& spec, const std::filesystem::path& file);
  // Reads and parses a tokenizer.json file.
  static std::shared_ptr<HfTokenizer> load(const std::filesystem::path& file);

  std::vector<TokenId> encode(std::string_view text, bool add_special = false) const override;
  std::string decode(std::span<const TokenId> ids, bool skip_special = false) const override;
  std::optional<TokenId> token_to_id(std::string_view token) const override;
  std::optional<std::string> id_to_token(TokenId id) const override;
  int64_t vocab_size() const override;
  bool is_special(TokenId id) const override;
  std::string kind() const override { return "tokenizer.json (BPE)"; }

  // Fills the special-token roles (from tokenizer_config.json, by the loader).
  void set_special_tokens(SpecialTokens specials) { m_specials = std::move(specials); }

 private:
  std::unique_ptr<Normalizer> m_normalizer;
  std::unique_ptr<PreTokenizer> m_pre_tokenizer;
  std::unique_ptr<BpeModel> m_model;
  std::unique_ptr<PostProcessor> m_post_processor;
  std::unique_ptr<TokenDecoder> m_decoder;
  AddedVocabulary m_added;
  std::unordered_set<std::string> m_special_contents;  // contents of special added tokens
};

}  // namespace vltune::text
