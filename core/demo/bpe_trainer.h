#pragma once
// A byte-level BPE vocabulary learned from a few texts, as the Hugging Face `tokenizers` BpeTrainer
// learns one (most frequent adjacent pair first, within pre-tokenized words), for the demo model
// the app makes on the spot. Small and deterministic: the same texts give the same vocabulary.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace vltune::demo {

struct BpeVocabulary {
  std::vector<std::string> tokens;                          // byte-level strings, id = index: the 256 bytes, then each new merged string once
  std::vector<std::pair<std::string, std::string>> merges;  // in priority order
};

// Learns up to `max_merges` merges from `texts` (pairs seen fewer than `min_count` times are not
// merged). Words are split as Qwen2's pre-tokenizer roughly does: an optional leading space with a
// run of letters, single digits, punctuation runs, whitespace.
BpeVocabulary train_byte_level_bpe(const std::vector<std::string>& texts, size_t max_merges, size_t min_count = 2);

}  // namespace vltune::demo
