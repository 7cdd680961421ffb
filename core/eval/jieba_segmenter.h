#pragma once
// Word segmentation exactly as jieba.cut(text) does it by default (accurate mode, HMM on;
// jieba 0.42.1 as Debian's python3-jieba ships it): the text is split into runs of Han, ASCII
// letters, digits and +#&._%- (re_han_default) and the rest; the rest goes out one character at a
// time (whitespace included, "\r\n" kept whole); each run gets a DAG of the dictionary words it
// contains, the route of greatest summed log frequency, and the characters the route leaves alone
// are rejoined and handed to the HMM (jieba_hmm.h) unless the dictionary knows them.
//
// The data is read at run time from an installed jieba (dict.txt, finalseg/prob_*.py), never
// copied into this repository: see jieba_data_dir().

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/eval/jieba_hmm.h"

namespace vltune::eval {

// Where Debian's python3-jieba installs its package (dict.txt and finalseg/ inside).
inline constexpr const char* kDebianJiebaDir = "/usr/lib/python3/dist-packages/jieba";

// The folder to read jieba's data from: `dir` when not empty, else $VLTUNE_JIEBA_DIR when set,
// else kDebianJiebaDir.
std::filesystem::path jieba_data_dir(const std::filesystem::path& dir = {});

class JiebaSegmenter {
 public:
  // Reads `dir`/dict.txt and `dir`/finalseg/prob_{start,trans,emit}.py. Throws vltune::FileError
  // naming a missing file, vltune::FormatError naming the file and line of a malformed one.
  static std::shared_ptr<const JiebaSegmenter> load(const std::filesystem::path& dir);

  // True when `dir` holds the four files load() reads.
  static bool available(const std::filesystem::path& dir);

  // list(jieba.cut(text)). Invalid UTF-8 is read as U+FFFD first.
  std::vector<std::string> cut(std::string_view text) const;
  std::vector<std::u32string> cut(std::u32string_view text) const;

  // Dictionary size, for reports: words with a frequency and the sum of their frequencies.
  size_t word_count() const { return m_word_count; }
  int64_t total_frequency() const { return m_total; }

 private:
  explicit JiebaSegmenter(JiebaHmm hmm) : m_hmm(std::move(hmm)) {}
  void load_dictionary(const std::filesystem::path& file);
  // FREQ.get(word): the frequency, 0 for a prefix-only entry, -1 when absent.
  int64_t frequency(std::string_view utf8_word) const;
  void cut_run(std::u32string_view run, std::vector<std::u32string>& out) const;

  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // jieba's FREQ: every word with its frequency and every prefix of a word with 0 (unless it is a
  // word itself), keyed by UTF-8.
  std::unordered_map<std::string, int64_t, Hash, std::equal_to<>> m_freq;
  size_t m_word_count = 0;
  int64_t m_total = 0;  // sum of the frequencies of all lines, as gen_pfdict counts it
  double m_log_total = 0.0;
  JiebaHmm m_hmm;
};

// One segmenter per folder for the whole process, loaded on first use (under a second, ~50 MB),
// or nullptr when the folder (resolved by jieba_data_dir) lacks jieba's files. Thread-safe.
std::shared_ptr<const JiebaSegmenter> shared_jieba_segmenter(const std::filesystem::path& dir = {});

}  // namespace vltune::eval
