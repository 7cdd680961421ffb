#include "core/demo/bpe_trainer.h"

#include <cctype>
#include <map>
#include <set>

#include "core/text/byte_level.h"

namespace vltune::demo {

namespace {

using Word = std::vector<std::string>;  // symbols, each a byte-level string

bool is_letter(unsigned char c) { return std::isalpha(c) || c >= 0x80; }

// Splits like Qwen2's regex for ASCII text: " word", digits one by one, " ...", whitespace runs.
std::vector<std::string> pre_tokenize(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const bool lead = c == ' ' && i + 1 < text.size();
    const size_t body = lead ? i + 1 : i;
    const unsigned char b = static_cast<unsigned char>(text[body]);
    if (is_letter(b)) {
      i = body;
      while (i < text.size() && is_letter(static_cast<unsigned char>(text[i]))) ++i;
    } else if (std::isdigit(b)) {
      i = body + 1;
    } else if (!std::isspace(b)) {
      i = body;
      while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) &&
             !is_letter(static_cast<unsigned char>(text[i])) && !std::isdigit(static_cast<unsigned char>(text[i])))
        ++i;
    } else {
      while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    }
    out.push_back(text.substr(start, i - start));
  }
  return out;
}

}  // namespace

BpeVocabulary train_byte_level_bpe(const std::vector<std::string>& texts, size_t max_merges, size_t min_count) {
  BpeVocabulary v;
  for (int b = 0; b < 256; ++b) v.tokens.push_back(text::byte_level::char_for_byte(static_cast<uint8_t>(b)));

  std::map<Word, size_t> words;
  for (const std::string& text : texts)
    for (const std::string& piece : pre_tokenize(text)) {
      Word w;
      for (unsigned char ch : piece) w.push_back(text::byte_level::char_for_byte(ch));
      ++words[w];
    }

  std::set<std::string> known(v.tokens.begin(), v.tokens.end());
  while (v.merges.size() < max_merges) {
    std::map<std::pair<std::string, std::string>, size_t> pairs;
    for (const auto& [w, n] : words)
      for (size_t k = 0; k + 1 < w.size(); ++k) pairs[{w[k], w[k + 1]}] += n;
    // The most frequent pair; ties go to the first in byte order, so the result is deterministic.
    const std::pair<std::string, std::string>* best = nullptr;
    size_t best_count = 0;
    for (const auto& [p, n] : pairs)
      if (n > best_count) {
        best = &p;
        best_count = n;
      }
    if (!best || best_count < min_count) break;
    const auto merge = *best;
    const std::string joined = merge.first + merge.second;
    std::map<Word, size_t> next;
    for (const auto& [w, n] : words) {
      Word merged;
      for (size_t k = 0; k < w.size(); ++k) {
        if (k + 1 < w.size() && w[k] == merge.first && w[k + 1] == merge.second) {
          merged.push_back(joined);
          ++k;
        } else {
          merged.push_back(w[k]);
        }
      }
      next[merged] += n;
    }
    words = std::move(next);
    v.merges.push_back(merge);
    if (known.insert(joined).second) v.tokens.push_back(joined);
  }
  return v;
}

}  // namespace vltune::demo
