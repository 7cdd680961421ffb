#include "core/text/hf_tokenizer.h"

#include "core/error.h"
#include "core/io/json_file.h"
#include "core/text/utf8.h"

namespace vltune::text {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

const Json& member_or_null(const Json& spec, const char* key) {
  static const Json null;
  auto it = spec.find(key);
  return it == spec.end() ? null : *it;
}

std::vector<AddedToken> read_added_tokens(const Json& spec, const std::string& where) {
  std::vector<AddedToken> out;
  const Json& list = member_or_null(spec, "added_tokens");
  if (list.is_null()) return out;
  if (!list.is_array()) throw FormatError(where + ": \"added_tokens\" must be an array");
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& t = list[i];
    const std::string label = where + ": added_tokens[" + std::to_string(i) + "]";
    if (!t.is_object() || !t.contains("id") || !t["id"].is_number_integer() || !t.contains("content") ||
        !t["content"].is_string())
      throw FormatError(label + " needs an integer \"id\" and a string \"content\"");
    AddedToken token;
    token.id = t["id"].get<int32_t>();
    token.content = t["content"].get<std::string>();
    token.special = t.value("special", false);
    token.lstrip = t.value("lstrip", false);
    token.rstrip = t.value("rstrip", false);
    token.normalized = t.value("normalized", !token.special);
    token.single_word = t.value("single_word", false);
    out.push_back(std::move(token));
  }
  return out;
}

}  // namespace

HfTokenizer::HfTokenizer(const Json& spec, const fs::path& file) {
  m_source = file;
  const std::string where = file.string();
  if (!spec.is_object()) throw FormatError(where + ": not a tokenizer.json object");
  // "truncation" and "padding" are ignored: cutoff_len and batching are the caller's business.
  m_normalizer = make_normalizer(member_or_null(spec, "normalizer"), where);
  m_pre_tokenizer = make_pre_tokenizer(member_or_null(spec, "pre_tokenizer"), where);
  const Json& model = member_or_null(spec, "model");
  if (!model.is_object()) throw FormatError(where + ": no \"model\" object");
  m_model = std::make_unique<BpeModel>(model, where);
  m_post_processor = make_post_processor(member_or_null(spec, "post_processor"), where);
  m_decoder = make_decoder(member_or_null(spec, "decoder"), where);
  std::vector<AddedToken> added = read_added_tokens(spec, where);
  for (const AddedToken& t : added)
    if (t.special) m_special_contents.insert(t.content);
  m_added = AddedVocabulary(std::move(added), m_normalizer.get());
}

std::shared_ptr<HfTokenizer> HfTokenizer::load(const fs::path& file) {
  return std::make_shared<HfTokenizer>(io::read_json_file(file), file);
}

std::vector<TokenId> HfTokenizer::encode(std::string_view text, bool add_special) const {
  if (!utf8::is_valid(text)) throw FormatError("text to encode is not valid UTF-8 (" + m_source.string() + ")");
  std::vector<TokenId> ids;
  ids.reserve(text.size() / 3 + 4);
  std::vector<PreToken> pieces;
  for (AddedVocabulary::Segment& segment : m_added.split(text, m_normalizer.get())) {
    if (segment.token >= 0) {
      ids.push_back(segment.token);
      continue;
    }
    if (segment.text.empty()) continue;
    pieces.clear();
    pieces.push_back({std::move(segment.text), segment.at_start});
    if (m_pre_tokenizer) m_pre_tokenizer->pre_tokenize(pieces);
    for (const PreToken& piece : pieces) m_model->tokenize(piece.text, ids);
  }
  if (add_special && m_post_processor) ids = m_post_processor->process(std::move(ids));
  return ids;
}

std::string HfTokenizer::decode(std::span<const TokenId> ids, bool skip_special) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (TokenId id : ids) {
    const std::string* token = nullptr;
    if (const AddedToken* added = m_added.by_id(id)) token = &added->content;
    else token = m_model->id_to_token(id);
    if (!token) continue;
    if (skip_special && m_special_contents.count(*token)) continue;
    tokens.push_back(*token);
  }
  if (!m_decoder) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
    return out;
  }
  m_decoder->decode_chain(tokens);
  std::string out;
  for (const std::string& t : tokens) out += t;
  return out;
}

std::optional<TokenId> HfTokenizer::token_to_id(std::string_view token) const {
  if (auto id = m_added.id_of(token)) return id;
  return m_model->token_to_id(token);
}

std::optional<std::string> HfTokenizer::id_to_token(TokenId id) const {
  if (const AddedToken* added = m_added.by_id(id)) return added->content;
  if (const std::string* token = m_model->id_to_token(id)) return *token;
  return std::nullopt;
}

int64_t HfTokenizer::vocab_size() const {
  int64_t size = m_model->vocab_size();
  for (const AddedToken& t : m_added.tokens()) size = std::max<int64_t>(size, int64_t{t.id} + 1);
  return size;
}

bool HfTokenizer::is_special(TokenId id) const {
  if (const AddedToken* added = m_added.by_id(id)) return added->special;
  if (const std::string* token = m_model->id_to_token(id)) return m_special_contents.count(*token) > 0;
  return false;
}

}  // namespace vltune::text
