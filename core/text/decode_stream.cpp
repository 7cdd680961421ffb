#include "core/text/decode_stream.h"

#include "core/text/utf8.h"

namespace vltune::text {

namespace {

bool ends_with_replacement(const std::string& s) {
  return s.size() >= utf8::kReplacementUtf8.size() &&
         s.compare(s.size() - utf8::kReplacementUtf8.size(), utf8::kReplacementUtf8.size(), utf8::kReplacementUtf8) == 0;
}

}  // namespace

DecodeStream::DecodeStream(const Tokenizer& tokenizer, bool skip_special)
    : m_tokenizer(tokenizer), m_skip_special(skip_special) {}

std::string DecodeStream::push(TokenId id) {
  if (m_prefix.empty() && !m_ids.empty()) {
    std::string prefix = m_tokenizer.decode(m_ids, m_skip_special);
    if (!ends_with_replacement(prefix)) {
      m_prefix = std::move(prefix);
      m_prefix_index = m_ids.size();
    }
  }
  m_ids.push_back(id);
  const std::string text = m_tokenizer.decode(m_ids, m_skip_special);
  if (text.size() <= m_prefix.size() || ends_with_replacement(text)) return {};
  // The context decodes the same way with more tokens after it (true of every decoder we
  // support); if not, emit from the first difference rather than lose text.
  size_t common = 0;
  while (common < m_prefix.size() && text[common] == m_prefix[common]) ++common;
  while (common > 0 && (static_cast<unsigned char>(text[common]) & 0xC0) == 0x80) --common;
  std::string fresh = text.substr(common);
  // Keep the tokens after the context as the next context.
  m_ids.erase(m_ids.begin(), m_ids.begin() + static_cast<std::ptrdiff_t>(m_prefix_index));
  m_prefix = m_tokenizer.decode(m_ids, m_skip_special);
  m_prefix_index = m_ids.size();
  return fresh;
}

std::string DecodeStream::finish() {
  const std::string text = m_tokenizer.decode(m_ids, m_skip_special);
  std::string rest;
  if (text.compare(0, m_prefix.size(), m_prefix) == 0) {
    rest = text.substr(m_prefix.size());
  } else {
    // The held-back bytes spoiled the context's decode (a byte-fallback run that never completed):
    // decode them alone.
    const std::vector<TokenId> tail(m_ids.begin() + static_cast<std::ptrdiff_t>(m_prefix_index), m_ids.end());
    rest = m_tokenizer.decode(tail, m_skip_special);
  }
  m_ids.clear();
  m_prefix.clear();
  m_prefix_index = 0;
  return rest;
}

}  // namespace vltune::text
