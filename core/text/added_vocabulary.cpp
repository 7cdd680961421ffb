#include "core/text/added_vocabulary.h"

#include <algorithm>

#include "core/text/unicode.h"
#include "core/text/utf8.h"

namespace vltune::text {

void TokenTrie::insert(std::string_view pattern, int32_t value) {
  if (pattern.empty()) return;
  m_first[static_cast<uint8_t>(pattern[0])] = true;
  int32_t node = 0;
  for (char ch : pattern) {
    const auto b = static_cast<uint8_t>(ch);
    auto& children = m_nodes[node].children;
    auto it = std::lower_bound(children.begin(), children.end(), b,
                               [](const auto& child, uint8_t key) { return child.first < key; });
    if (it != children.end() && it->first == b) {
      node = it->second;
      continue;
    }
    const auto created = static_cast<int32_t>(m_nodes.size());
    children.insert(it, {b, created});
    m_nodes.emplace_back();
    node = created;
  }
  m_nodes[node].value = value;
}

std::optional<std::pair<size_t, int32_t>> TokenTrie::longest_at(std::string_view text, size_t pos) const {
  if (pos >= text.size() || !m_first[static_cast<uint8_t>(text[pos])]) return std::nullopt;
  std::optional<std::pair<size_t, int32_t>> best;
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    const auto b = static_cast<uint8_t>(text[i]);
    const auto& children = m_nodes[node].children;
    auto it = std::lower_bound(children.begin(), children.end(), b,
                               [](const auto& child, uint8_t key) { return child.first < key; });
    if (it == children.end() || it->first != b) break;
    node = it->second;
    if (m_nodes[node].value >= 0) best = std::make_pair(i + 1 - pos, m_nodes[node].value);
  }
  return best;
}

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer)
    : m_tokens(std::move(tokens)) {
  for (size_t i = 0; i < m_tokens.size(); ++i) {
    const AddedToken& t = m_tokens[i];
    if (t.content.empty()) continue;
    m_index_by_id[t.id] = i;
    m_id_by_content[t.content] = t.id;
  }
  // Insert in order so that a later token with the same content wins, as in tokenizers' maps.
  for (const AddedToken& t : m_tokens) {
    if (t.content.empty()) continue;
    if (t.normalized) {
      m_normalized_trie.insert(normalizer ? normalizer->normalize(t.content) : t.content, t.id);
    } else {
      m_raw_trie.insert(t.content, t.id);
    }
  }
}

const AddedToken* AddedVocabulary::by_id(int32_t id) const {
  auto it = m_index_by_id.find(id);
  return it == m_index_by_id.end() ? nullptr : &m_tokens[it->second];
}

std::optional<int32_t> AddedVocabulary::id_of(std::string_view content) const {
  auto it = m_id_by_content.find(std::string(content));
  if (it == m_id_by_content.end()) return std::nullopt;
  return it->second;
}

namespace {

// Code point ending at byte `end` (valid UTF-8, end > 0).
char32_t char_before(std::string_view s, size_t end) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  return utf8::next(s, start);
}

}  // namespace

void AddedVocabulary::find_matches(std::string_view text, const TokenTrie& trie, bool at_start,
                                   std::vector<Segment>& out, const Normalizer* normalize_rest) const {
  // A text segment, normalized (step 1) and split on normalized tokens, or kept (step 2).
  auto emit_text = [&](size_t start, size_t end) {
    if (start >= end) return;
    if (normalize_rest) {
      const std::string normalized = normalize_rest->normalize(std::string(text.substr(start, end - start)));
      find_matches(normalized, m_normalized_trie, at_start && start == 0, out, nullptr);
    } else {
      out.push_back({std::string(text.substr(start, end - start)), -1, at_start && start == 0});
    }
  };
  size_t start_offset = 0, pos = 0;
  if (!trie.empty()) {
    while (pos < text.size()) {
      const auto match = trie.longest_at(text, pos);
      if (!match) {
        ++pos;
        continue;
      }
      size_t start = pos, stop = pos + match->first;
      pos = stop;  // the match is consumed even when discarded below, as aho-corasick's iterator does
      const AddedToken& token = m_tokens[m_index_by_id.at(match->second)];
      if (token.single_word) {
        const bool start_space = start == 0 || !unicode::is_word_char(char_before(text, start));
        size_t probe = stop;
        const bool stop_space = stop == text.size() || !unicode::is_word_char(utf8::next(text, probe));
        if (!start_space || !stop_space) continue;
      }
      if (token.lstrip) {
        size_t s = start;
        while (s > 0 && unicode::is_whitespace(char_before(text, s))) {
          size_t back = s - 1;
          while (back > 0 && (static_cast<unsigned char>(text[back]) & 0xC0) == 0x80) --back;
          s = back;
        }
        start = std::max(s, start_offset);
      }
      if (token.rstrip) {
        while (stop < text.size()) {
          size_t next = stop;
          if (!unicode::is_whitespace(utf8::next(text, next))) break;
          stop = next;
        }
        pos = stop;
      }
      emit_text(start_offset, start);
      out.push_back({std::string(text.substr(start, stop - start)), token.id, at_start && start == 0});
      start_offset = stop;
    }
  }
  emit_text(start_offset, text.size());
}

std::vector<AddedVocabulary::Segment> AddedVocabulary::split(std::string_view text, const Normalizer* normalizer) const {
  std::vector<Segment> out;
  // A normalizer is always "present" for step 2 so normalized tokens are still looked for.
  struct Identity final : Normalizer {
    std::string normalize(std::string t) const override { return t; }
  };
  static const Identity identity;
  find_matches(text, m_raw_trie, true, out, normalizer ? normalizer : &identity);
  return out;
}

}  // namespace vltune::text
