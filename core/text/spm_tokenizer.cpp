#include "core/text/spm_tokenizer.h"

#include "core/error.h"
#include "core/text/utf8.h"

namespace vltune::text {

namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // ▁

// transformers' LlamaConverter decoder: "▁" to spaces, byte pieces to bytes, one leading space off.
const nlohmann::json& decoder_spec() {
  static const nlohmann::json spec = nlohmann::json::parse(R"({"type": "Sequence", "decoders": [
      {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
      {"type": "ByteFallback"}, {"type": "Fuse"},
      {"type": "Strip", "content": " ", "start": 1, "stop": 0}]})");
  return spec;
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(const std::filesystem::path& model_file,
                                               SentencePieceTokenizerOptions options)
    : m_model(SentencePieceModel::load(model_file, SentencePieceLoadOptions{.add_dummy_prefix = false, .remove_extra_whitespaces = false})),
      m_options(std::move(options)) {
  m_source = model_file;
  m_added = AddedVocabulary(m_options.added_tokens, nullptr);
  m_decoder = make_decoder(decoder_spec(), "SentencePiece decoder");
  for (const AddedToken& t : m_options.added_tokens)
    if (t.special) m_special_ids.insert(t.id);
  // SentencePiece's own control tokens are special too.
  for (TokenId id : {m_model.bos_id(), m_model.eos_id(), m_model.unk_id(), m_model.pad_id()})
    if (id >= 0) m_special_ids.insert(id);
}

void SentencePieceTokenizer::set_special_tokens(SpecialTokens specials) {
  m_specials = std::move(specials);
  for (const auto& id : {m_specials.bos_id, m_specials.eos_id, m_specials.unk_id, m_specials.pad_id})
    if (id) m_special_ids.insert(*id);
}

std::vector<TokenId> SentencePieceTokenizer::encode(std::string_view text, bool add_special) const {
  if (!utf8::is_valid(text)) throw FormatError("text to encode is not valid UTF-8 (" + m_source.string() + ")");
  std::vector<TokenId> ids;
  if (add_special && m_options.add_bos) {
    const TokenId bos = m_specials.bos_id.value_or(m_model.bos_id());
    if (bos >= 0) ids.push_back(bos);
  }
  for (const AddedVocabulary::Segment& segment : m_added.split(text, nullptr)) {
    if (segment.token >= 0) {
      ids.push_back(segment.token);
      continue;
    }
    if (segment.text.empty()) continue;
    std::string piece;
    piece.reserve(segment.text.size() + 8);
    for (char c : segment.text) {
      if (c == ' ') piece.append(kSpace);
      else piece.push_back(c);
    }
    const bool prefix = m_options.legacy ? true : segment.at_start && piece.compare(0, kSpace.size(), kSpace) != 0;
    if (prefix) piece.insert(0, kSpace);
    const std::vector<int32_t> encoded = m_model.encode(piece);
    ids.insert(ids.end(), encoded.begin(), encoded.end());
  }
  if (add_special && m_options.add_eos) {
    const TokenId eos = m_specials.eos_id.value_or(m_model.eos_id());
    if (eos >= 0) ids.push_back(eos);
  }
  return ids;
}

std::string SentencePieceTokenizer::decode(std::span<const TokenId> ids, bool skip_special) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (TokenId id : ids) {
    if (skip_special && m_special_ids.count(id)) continue;
    if (auto token = id_to_token(id)) tokens.push_back(std::move(*token));
  }
  m_decoder->decode_chain(tokens);
  std::string out;
  for (const std::string& t : tokens) out += t;
  return out;
}

std::optional<TokenId> SentencePieceTokenizer::token_to_id(std::string_view token) const {
  if (auto id = m_added.id_of(token)) return id;
  const int32_t id = m_model.piece_to_id(token);
  if (id < 0 || id >= m_model.piece_count()) return std::nullopt;
  if (id == m_model.unk_id() && m_model.id_to_piece(id) != token) return std::nullopt;
  return id;
}

std::optional<std::string> SentencePieceTokenizer::id_to_token(TokenId id) const {
  if (const AddedToken* added = m_added.by_id(id)) return added->content;
  if (id < 0 || id >= m_model.piece_count()) return std::nullopt;
  return m_model.id_to_piece(id);
}

int64_t SentencePieceTokenizer::vocab_size() const {
  int64_t size = m_model.piece_count();
  for (const AddedToken& t : m_added.tokens()) size = std::max<int64_t>(size, int64_t{t.id} + 1);
  return size;
}

bool SentencePieceTokenizer::is_special(TokenId id) const { return m_special_ids.count(id) > 0; }

}  // namespace vltune::text
