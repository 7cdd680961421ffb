#include "core/text/tokenizer.h"

#include "core/error.h"
#include "core/io/aux_configs.h"
#include "core/io/json_file.h"
#include "core/text/hf_tokenizer.h"
#include "core/text/spm_tokenizer.h"

namespace vltune::text {

namespace fs = std::filesystem;

TokenId Tokenizer::require_id(std::string_view token) const {
  if (auto id = token_to_id(token)) return *id;
  throw FormatError(m_source.string() + ": token \"" + std::string(token) + "\" is not in the vocabulary");
}

namespace {

// The roles tokenizer_config.json names, resolved against the vocabulary.
SpecialTokens resolve_specials(const Tokenizer& tokenizer, const io::TokenizerConfig* config) {
  SpecialTokens s;
  if (!config) return s;
  s.bos = config->bos_token;
  s.eos = config->eos_token;
  s.pad = config->pad_token;
  s.unk = config->unk_token;
  auto id_of = [&](const std::optional<std::string>& token) -> std::optional<TokenId> {
    if (!token) return std::nullopt;
    return tokenizer.token_to_id(*token);
  };
  s.bos_id = id_of(s.bos);
  s.eos_id = id_of(s.eos);
  s.pad_id = id_of(s.pad);
  s.unk_id = id_of(s.unk);
  return s;
}

// Added tokens a SentencePiece checkpoint declares: tokenizer_config.json's added_tokens_decoder
// and the older added_tokens.json ({"<image>": 32000}).
std::vector<AddedToken> spm_added_tokens(const fs::path& folder, const io::TokenizerConfig* config) {
  std::vector<AddedToken> out;
  if (config) {
    for (const auto& [id, info] : config->added_tokens_decoder) {
      AddedToken t;
      t.id = static_cast<int32_t>(id);
      t.content = info.content;
      t.special = info.special;
      t.lstrip = info.lstrip;
      t.rstrip = info.rstrip;
      t.normalized = info.normalized;
      t.single_word = info.single_word;
      out.push_back(std::move(t));
    }
  }
  const fs::path legacy_file = folder / "added_tokens.json";
  if (fs::is_regular_file(legacy_file)) {
    const io::Json list = io::read_json_file(legacy_file);
    if (!list.is_object()) throw FormatError(legacy_file.string() + ": must map token text to id");
    for (auto it = list.begin(); it != list.end(); ++it) {
      if (!it.value().is_number_integer())
        throw FormatError(legacy_file.string() + ": \"" + it.key() + "\" has no integer id");
      bool known = false;
      for (const AddedToken& t : out) known = known || t.content == it.key();
      if (known) continue;
      AddedToken t;
      t.id = it.value().get<int32_t>();
      t.content = it.key();
      t.normalized = false;
      out.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace

std::shared_ptr<const Tokenizer> load_tokenizer(const fs::path& path) {
  fs::path folder, json_file, model_file;
  if (fs::is_directory(path)) {
    folder = path;
    if (fs::is_regular_file(path / "tokenizer.json")) json_file = path / "tokenizer.json";
    else if (fs::is_regular_file(path / "tokenizer.model")) model_file = path / "tokenizer.model";
    else throw FileError(path.string() + ": no tokenizer.json or tokenizer.model in this folder");
  } else if (fs::is_regular_file(path)) {
    folder = path.parent_path();
    if (path.extension() == ".model") model_file = path;
    else json_file = path;
  } else {
    throw FileError(path.string() + ": no such file or folder");
  }

  std::optional<io::TokenizerConfig> config;
  const fs::path config_file = folder / "tokenizer_config.json";
  io::Json raw_config;
  if (fs::is_regular_file(config_file)) {
    raw_config = io::read_json_file(config_file);
    config = io::parse_tokenizer_config(raw_config, config_file.string());
  }

  if (!json_file.empty()) {
    auto tokenizer = HfTokenizer::load(json_file);
    tokenizer->set_special_tokens(resolve_specials(*tokenizer, config ? &*config : nullptr));
    return tokenizer;
  }
  SentencePieceTokenizerOptions options;
  options.added_tokens = spm_added_tokens(folder, config ? &*config : nullptr);
  if (config) {
    options.add_bos = config->add_bos_token.value_or(true);
    options.add_eos = config->add_eos_token.value_or(false);
    options.legacy = io::get_or<bool>(raw_config, "legacy", true, config_file.string());
  }
  auto tokenizer = std::make_shared<SentencePieceTokenizer>(model_file, std::move(options));
  tokenizer->set_special_tokens(resolve_specials(*tokenizer, config ? &*config : nullptr));
  return tokenizer;
}

}  // namespace vltune::text
