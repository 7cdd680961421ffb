#include "core/text/bpe_model.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <queue>

#include "core/error.h"
#include "core/text/utf8.h"

namespace vltune::text {

namespace {

using Json = nlohmann::json;

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

std::string optional_string(const Json& spec, const char* key, const std::string& where) {
  if (!spec.contains(key) || spec[key].is_null()) return {};
  if (!spec[key].is_string()) throw FormatError(where + ": \"" + key + "\" must be a string or null");
  return spec[key].get<std::string>();
}

bool optional_bool(const Json& spec, const char* key, const std::string& where) {
  if (!spec.contains(key) || spec[key].is_null()) return false;
  if (!spec[key].is_boolean()) throw FormatError(where + ": \"" + key + "\" must be a boolean");
  return spec[key].get<bool>();
}

// One symbol of a word being merged (tokenizers' word::Symbol).
struct Symbol {
  int32_t id;
  int32_t prev;  // index of the previous live symbol, -1 at the start
  int32_t next;  // index of the next live symbol, -1 at the end
  int32_t len;   // byte length; 0 once merged into its left neighbour
};

struct PendingMerge {
  uint32_t rank;
  int32_t pos;
  int32_t new_id;
  // std::priority_queue puts the largest first: invert so the lowest rank, then lowest pos, wins.
  bool operator<(const PendingMerge& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

// Pending merges bucketed by rank, ranks visited lowest first through a small heap of ranks,
// positions within a rank in ascending order: the same order as one (rank, position) heap, with
// far fewer cache misses when a word has thousands of symbols (no pre-tokenizer: the whole text
// is one word). `find(left, right)` looks a pair up; `apply(pos, new_id, push)` performs a merge
// and pushes the pairs it creates.
template <typename Find, typename Apply>
void merge_with_buckets(const std::vector<Symbol>& symbols, Find&& find, Apply&& apply) {
  struct Entry {
    int32_t pos;
    int32_t new_id;
  };
  std::unordered_map<uint32_t, std::vector<Entry>> buckets;
  std::priority_queue<uint32_t, std::vector<uint32_t>, std::greater<>> ranks;
  uint32_t current = std::numeric_limits<uint32_t>::max();
  bool interrupted = false;
  auto push = [&](uint32_t rank, int32_t pos, int32_t new_id) {
    std::vector<Entry>& bucket = buckets[rank];
    if (bucket.empty()) ranks.push(rank);
    bucket.push_back({pos, new_id});
    // A pair at or below the rank being processed must go first (only odd vocabularies make one).
    if (rank <= current) interrupted = true;
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i)
    if (const auto* m = find(symbols[i].id, symbols[i + 1].id)) push(m->rank, i, m->new_id);
  std::vector<Entry> work;
  while (!ranks.empty()) {
    const uint32_t rank = ranks.top();
    ranks.pop();
    auto it = buckets.find(rank);
    work.swap(it->second);
    it->second.clear();
    std::sort(work.begin(), work.end(), [](const Entry& a, const Entry& b) { return a.pos < b.pos; });
    current = rank;
    interrupted = false;
    size_t i = 0;
    while (i < work.size() && !interrupted) {
      apply(work[i].pos, work[i].new_id, push);
      ++i;
    }
    current = std::numeric_limits<uint32_t>::max();
    for (; i < work.size(); ++i) push(rank, work[i].pos, work[i].new_id);
    work.clear();
  }
}

}  // namespace

BpeModel::BpeModel(const Json& spec, const std::string& where) {
  const std::string label = where + ": model";
  if (spec.value("type", std::string("BPE")) != "BPE")
    throw FormatError(where + ": model type \"" + spec.value("type", std::string()) + "\" is not supported");
  if (spec.contains("dropout") && !spec["dropout"].is_null() && spec["dropout"].get<double>() > 0.0)
    throw FormatError(label + ": BPE dropout is not supported for encoding (it is random)");
  if (!spec.contains("vocab") || !spec["vocab"].is_object()) throw FormatError(label + ": \"vocab\" must be an object");
  if (!spec.contains("merges") || !spec["merges"].is_array()) throw FormatError(label + ": \"merges\" must be an array");

  const Json& vocab = spec["vocab"];
  m_vocab.reserve(vocab.size());
  int32_t max_id = -1;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0 || it.value().get<int64_t>() > INT32_MAX)
      throw FormatError(label + ": vocab entry \"" + it.key() + "\" has no valid id");
    const auto id = static_cast<int32_t>(it.value().get<int64_t>());
    m_vocab.emplace(it.key(), id);
    max_id = std::max(max_id, id);
  }
  m_tokens.assign(static_cast<size_t>(max_id + 1), std::string());
  for (const auto& [token, id] : m_vocab) m_tokens[static_cast<size_t>(id)] = token;

  m_continuing_subword_prefix = optional_string(spec, "continuing_subword_prefix", label);
  m_end_of_word_suffix = optional_string(spec, "end_of_word_suffix", label);
  m_byte_fallback = optional_bool(spec, "byte_fallback", label);
  m_fuse_unk = optional_bool(spec, "fuse_unk", label);
  m_ignore_merges = optional_bool(spec, "ignore_merges", label);
  if (const std::string unk = optional_string(spec, "unk_token", label); !unk.empty()) {
    auto it = m_vocab.find(unk);
    if (it == m_vocab.end()) throw FormatError(label + ": unk_token \"" + unk + "\" is not in the vocabulary");
    m_unk_id = it->second;
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    auto it = m_vocab.find(std::string_view(name));
    m_byte_tokens[b] = it == m_vocab.end() ? -1 : it->second;
  }

  const Json& merges = spec["merges"];
  std::unordered_map<uint64_t, MergeResult> by_pair;
  by_pair.reserve(merges.size());
  const size_t prefix_len = m_continuing_subword_prefix.size();
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const Json& m = merges[rank];
    std::string left, right;
    if (m.is_string()) {
      const std::string& line = m.get_ref<const std::string&>();
      const size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
        throw FormatError(label + ": merges[" + std::to_string(rank) + "] \"" + line + "\" is not two tokens separated by one space");
      left = line.substr(0, space);
      right = line.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      left = m[0].get<std::string>();
      right = m[1].get<std::string>();
    } else {
      throw FormatError(label + ": merges[" + std::to_string(rank) + "] must be \"a b\" or [\"a\", \"b\"]");
    }
    auto l = m_vocab.find(left), r = m_vocab.find(right);
    if (l == m_vocab.end() || r == m_vocab.end())
      throw FormatError(label + ": merges[" + std::to_string(rank) + "] uses \"" + (l == m_vocab.end() ? left : right) +
                        "\", which is not in the vocabulary");
    const std::string merged = left + (right.size() >= prefix_len ? right.substr(prefix_len) : right);
    auto n = m_vocab.find(merged);
    if (n == m_vocab.end())
      throw FormatError(label + ": merges[" + std::to_string(rank) + "] makes \"" + merged + "\", which is not in the vocabulary");
    by_pair[pair_key(l->second, r->second)] = {static_cast<uint32_t>(rank), n->second};  // a later duplicate wins, as in tokenizers
  }
  m_merges.build(std::vector<std::pair<uint64_t, MergeResult>>(by_pair.begin(), by_pair.end()));
}

void BpeModel::PairMap::build(const std::vector<std::pair<uint64_t, MergeResult>>& entries) {
  size_t capacity = 16;
  int bits = 4;
  while (capacity < entries.size() * 2) {
    capacity *= 2;
    ++bits;
  }
  m_shift = 64 - bits;
  m_keys.assign(capacity, kEmpty);
  m_values.assign(capacity, MergeResult{0, 0});
  m_mask = capacity - 1;
  m_size = entries.size();
  for (const auto& [key, value] : entries) {
    size_t i = slot(key);
    while (m_keys[i] != kEmpty) i = (i + 1) & m_mask;
    m_keys[i] = key;
    m_values[i] = value;
  }
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
  auto it = m_vocab.find(token);
  if (it == m_vocab.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::id_to_token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= m_tokens.size() || m_tokens[id].empty()) return nullptr;
  return &m_tokens[static_cast<size_t>(id)];
}

const BpeModel::MergeResult* BpeModel::find_merge(int32_t left, int32_t right) const {
  return m_merges.find(pair_key(left, right));
}

void BpeModel::tokenize_uncached(std::string_view word, std::vector<int32_t>& out, MergeQueue queue) const {
  if (!word.empty()) merge_word(word, out, queue);
}

void BpeModel::tokenize(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (m_ignore_merges) {
    if (auto it = m_vocab.find(word); it != m_vocab.end()) {
      out.push_back(it->second);
      return;
    }
  }
  const bool cacheable = word.size() <= kCacheWordBytes;
  if (cacheable) {
    std::lock_guard lock(m_cache_mutex);
    if (auto it = m_cache.find(word); it != m_cache.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t before = out.size();
  merge_word(word, out, MergeQueue::automatic);
  if (cacheable) {
    std::lock_guard lock(m_cache_mutex);
    if (m_cache.size() < kCacheCapacity) m_cache.emplace(std::string(word), std::vector<int32_t>(out.begin() + before, out.end()));
  }
}

void BpeModel::merge_word(std::string_view word, std::vector<int32_t>& out, MergeQueue queue) const {
  // 1. One symbol per character (tokenizers' BPE::merge_word).
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  auto add = [&](int32_t id, int32_t len) {
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, -1, len});
    if (index > 0) symbols[index - 1].next = index;
  };
  std::optional<std::pair<int32_t, int32_t>> unk;  // pending (unk id, byte length)
  std::string scratch;
  size_t pos = 0;
  while (pos < word.size()) {
    const size_t start = pos;
    pos += std::min(utf8::sequence_length(static_cast<unsigned char>(word[pos])), word.size() - pos);
    const bool is_first = start == 0, is_last = pos == word.size();
    std::string_view piece = word.substr(start, pos - start);
    const auto byte_len = static_cast<int32_t>(piece.size());
    if ((!is_first && !m_continuing_subword_prefix.empty()) || (is_last && !m_end_of_word_suffix.empty())) {
      scratch.clear();
      if (!is_first) scratch.append(m_continuing_subword_prefix);
      scratch.append(piece);
      if (is_last) scratch.append(m_end_of_word_suffix);
      piece = scratch;
    }
    if (auto it = m_vocab.find(piece); it != m_vocab.end()) {
      if (unk) {
        add(unk->first, unk->second);
        unk.reset();
      }
      add(it->second, byte_len);
      continue;
    }
    if (m_byte_fallback) {
      bool all = true;
      for (char c : piece) all = all && m_byte_tokens[static_cast<uint8_t>(c)] >= 0;
      if (all) {
        // Like tokenizers, a pending unk stays pending here and lands after these bytes.
        for (char c : piece) add(m_byte_tokens[static_cast<uint8_t>(c)], 1);
        continue;
      }
    }
    if (m_unk_id) {
      if (unk && m_fuse_unk) {
        unk->second += byte_len;
      } else {
        if (unk) add(unk->first, unk->second);
        unk = std::make_pair(*m_unk_id, byte_len);
      }
    }
  }
  if (unk) add(unk->first, unk->second);

  // 2. Merge (tokenizers' Word::merge_all): always the lowest (rank, position) pending pair.
  // Applies the merge at `pos` if it is still current; calls `pending(rank, pos, new_id)` for the
  // pairs it creates.
  auto apply = [&](int32_t pos, int32_t new_id, auto&& pending) {
    Symbol& current = symbols[pos];
    if (current.len == 0 || current.next == -1) return;
    const int32_t next_pos = current.next;
    const Symbol right = symbols[next_pos];
    const MergeResult* m = find_merge(current.id, right.id);
    if (!m || m->new_id != new_id) return;  // stale entry
    current.id = new_id;
    current.len += right.len;
    current.next = right.next;
    symbols[next_pos].len = 0;
    if (right.next >= 0) symbols[right.next].prev = pos;
    if (current.prev >= 0)
      if (const MergeResult* p = find_merge(symbols[current.prev].id, current.id)) pending(p->rank, current.prev, p->new_id);
    if (current.next >= 0)
      if (const MergeResult* n = find_merge(current.id, symbols[current.next].id)) pending(n->rank, pos, n->new_id);
  };
  auto find = [this](int32_t left, int32_t right) { return find_merge(left, right); };
  if (queue == MergeQueue::automatic) queue = symbols.size() > kBucketQueueSymbols ? MergeQueue::buckets : MergeQueue::heap;
  if (queue == MergeQueue::heap) {
    std::priority_queue<PendingMerge> heap;
    auto push = [&](uint32_t rank, int32_t pos, int32_t new_id) { heap.push({rank, pos, new_id}); };
    for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i)
      if (const MergeResult* m = find_merge(symbols[i].id, symbols[i + 1].id)) push(m->rank, i, m->new_id);
    while (!heap.empty()) {
      const PendingMerge top = heap.top();
      heap.pop();
      apply(top.pos, top.new_id, push);
    }
  } else {
    merge_with_buckets(symbols, find, apply);
  }
  for (const Symbol& s : symbols)
    if (s.len > 0) out.push_back(s.id);
}

}  // namespace vltune::text
