#pragma once
// tokenizer.json "model" of type BPE: vocabulary, ranked merges (as "a b" strings or ["a","b"]
// pairs), byte_fallback, ignore_merges, unk_token (fused or not), continuing_subword_prefix and
// end_of_word_suffix (CLIP's "</w>"). Merging follows tokenizers' Word::merge_all exactly: the
// lowest-ranked pair first, the leftmost among equals.

#include <cstdint>
#include <array>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace vltune::text {

// Hash and equality that accept std::string_view without building a std::string.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using StringIdMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

class BpeModel {
 public:
  // Reads the "model" object; `where` names the file in errors (a missing merge part, a bad id).
  BpeModel(const nlohmann::json& spec, const std::string& where);

  // Appends the ids of one pre-tokenized word.
  void tokenize(std::string_view word, std::vector<int32_t>& out) const;

  // How merge_word orders pending merges; both give tokenizers' order (lowest rank, then leftmost).
  enum class MergeQueue {
    automatic,  // binary heap for short words, rank buckets for long ones
    heap,       // one binary heap of (rank, position), as tokenizers does
    buckets,    // positions bucketed by rank: far fewer cache misses on words of thousands of symbols
  };
  static constexpr size_t kBucketQueueSymbols = 256;  // longer words use MergeQueue::buckets
  // tokenize() without the cache, with a chosen queue (tests compare the two).
  void tokenize_uncached(std::string_view word, std::vector<int32_t>& out, MergeQueue queue) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  // Empty when `id` is not in the model's vocabulary.
  const std::string* id_to_token(int32_t id) const;
  // One past the largest id in the vocabulary.
  int64_t vocab_size() const { return static_cast<int64_t>(m_tokens.size()); }

 private:
  struct MergeResult {
    uint32_t rank;
    int32_t new_id;
  };
  void merge_word(std::string_view word, std::vector<int32_t>& out, MergeQueue queue) const;
  const MergeResult* find_merge(int32_t left, int32_t right) const;

  // Open-addressing map from a pair of ids to its merge: the hottest lookup in encoding.
  class PairMap {
   public:
    void build(const std::vector<std::pair<uint64_t, MergeResult>>& entries);
    const MergeResult* find(uint64_t key) const {
      if (m_keys.empty()) return nullptr;
      for (size_t i = slot(key);; i = (i + 1) & m_mask) {
        if (m_keys[i] == key) return &m_values[i];
        if (m_keys[i] == kEmpty) return nullptr;
      }
    }
    size_t size() const { return m_size; }

   private:
    static constexpr uint64_t kEmpty = ~uint64_t{0};
    // Fibonacci hashing: the top bits of the product depend on every bit of both ids.
    size_t slot(uint64_t key) const { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> m_shift); }
    std::vector<uint64_t> m_keys;
    std::vector<MergeResult> m_values;
    size_t m_mask = 0;
    int m_shift = 63;
    size_t m_size = 0;
  };

  StringIdMap m_vocab;
  std::vector<std::string> m_tokens;                         // id -> token (empty for gaps)
  PairMap m_merges;                                          // (left id << 32 | right id) -> merge
  std::optional<int32_t> m_unk_id;                           // id of unk_token, when it has one
  std::string m_continuing_subword_prefix;                   // "" when none
  std::string m_end_of_word_suffix;                          // "" when none
  bool m_byte_fallback = false;                              // <0xXX> tokens for unknown characters
  bool m_fuse_unk = false;                                   // one unk for a run of unknown characters
  bool m_ignore_merges = false;                              // a word in the vocabulary is one token
  std::array<int32_t, 256> m_byte_tokens{};                  // id of "<0xXX>" per byte, -1 when absent

  // Words seen before (tokenizers caches them too); bounded, words up to kCacheWordBytes.
  static constexpr size_t kCacheCapacity = 100000;
  static constexpr size_t kCacheWordBytes = 256;
  mutable std::mutex m_cache_mutex;
  mutable std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> m_cache;
};

}  // namespace vltune::text
