#pragma once
// Added tokens ("<|im_start|>", "<image>", ...) found in raw text before the model sees it, as
// tokenizers' AddedVocabulary does: leftmost-longest matching, first the tokens with
// normalized = false on the raw text, then those with normalized = true on each normalized
// remainder; single_word, lstrip and rstrip honoured.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/text/normalizers.h"

namespace vltune::text {

struct AddedToken {
  int32_t id = -1;           // vocabulary id
  std::string content;       // the text that stands for it
  bool special = false;      // skipped by decode(skip_special)
  bool lstrip = false;       // absorbs whitespace on its left
  bool rstrip = false;       // absorbs whitespace on its right
  bool normalized = true;    // matched in normalized text (false: in the raw text)
  bool single_word = false;  // matches only when not inside a word
};

// A byte trie answering "the longest pattern starting here".
class TokenTrie {
 public:
  void insert(std::string_view pattern, int32_t value);
  // The longest pattern that starts at `pos`: (length in bytes, value).
  std::optional<std::pair<size_t, int32_t>> longest_at(std::string_view text, size_t pos) const;
  bool empty() const { return m_nodes.size() <= 1; }

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // sorted by byte
    int32_t value = -1;
  };
  std::vector<Node> m_nodes{Node{}};
  std::array<bool, 256> m_first{};  // bytes some pattern starts with
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // `normalizer` (may be null) normalizes the contents of normalized tokens for matching.
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  // A piece of the input: an added token (token >= 0) or text to pass on, normalized.
  struct Segment {
    std::string text;       // normalized text, or the matched token text
    int32_t token = -1;     // id of the added token, -1 for text
    bool at_start = false;  // starts at offset 0 of the input
  };
  // Splits `text` around added tokens; text segments are normalized with `normalizer` (may be null).
  std::vector<Segment> split(std::string_view text, const Normalizer* normalizer) const;

  const AddedToken* by_id(int32_t id) const;
  std::optional<int32_t> id_of(std::string_view content) const;
  bool empty() const { return m_tokens.empty(); }
  const std::vector<AddedToken>& tokens() const { return m_tokens; }

 private:
  void find_matches(std::string_view text, const TokenTrie& trie, bool at_start, std::vector<Segment>& out,
                    const Normalizer* normalize_rest) const;

  std::vector<AddedToken> m_tokens;
  std::unordered_map<int32_t, size_t> m_index_by_id;
  std::unordered_map<std::string, int32_t> m_id_by_content;
  TokenTrie m_raw_trie;         // normalized = false
  TokenTrie m_normalized_trie;  // normalized = true, contents normalized
};

}  // namespace vltune::text
