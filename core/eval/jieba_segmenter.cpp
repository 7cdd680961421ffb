#include "core/eval/jieba_segmenter.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "core/error.h"
#include "core/eval/python_text.h"
#include "core/text/utf8.h"

namespace vltune::eval {
namespace {

namespace fs = std::filesystem;

// re_han_default's class: [\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-].
bool in_han_default(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FD5) || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z') ||
         (c >= U'0' && c <= U'9') || c == U'+' || c == U'#' || c == U'&' || c == U'.' || c == U'_' ||
         c == U'%' || c == U'-';
}

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// bytes.strip()
std::string_view strip(std::string_view s) {
  while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path.string() + ": cannot open jieba's dictionary");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

fs::path jieba_data_dir(const fs::path& dir) {
  if (!dir.empty()) return dir;
  if (const char* env = std::getenv("VLTUNE_JIEBA_DIR"); env && *env) return env;
  return kDebianJiebaDir;
}

bool JiebaSegmenter::available(const fs::path& dir) {
  std::error_code ec;
  for (const char* name : {"dict.txt", "finalseg/prob_start.py", "finalseg/prob_trans.py", "finalseg/prob_emit.py"})
    if (!fs::is_regular_file(dir / name, ec)) return false;
  return true;
}

std::shared_ptr<const JiebaSegmenter> JiebaSegmenter::load(const fs::path& dir) {
  auto segmenter = std::shared_ptr<JiebaSegmenter>(new JiebaSegmenter(JiebaHmm::load(dir / "finalseg")));
  segmenter->load_dictionary(dir / "dict.txt");
  return segmenter;
}

// Tokenizer.gen_pfdict: "word freq [tag]" per line; a later line for the same word wins, the
// total counts every line.
void JiebaSegmenter::load_dictionary(const fs::path& file) {
  const std::string text = read_file(file);
  m_freq.reserve(text.size() / 12);
  size_t start = 0;
  int64_t line_no = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ++line_no;
    const std::string_view line = strip(std::string_view(text).substr(start, end - start));
    start = end + 1;
    auto bad = [&](const char* what) {
      return FormatError(file.string() + ": line " + std::to_string(line_no) + ": " + what +
                         " (expected \"word frequency [tag]\")");
    };
    if (!text::utf8::is_valid(line)) throw bad("not UTF-8");
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) throw bad("no frequency");
    const std::string_view word = line.substr(0, space);
    std::string_view freq_text = line.substr(space + 1);
    freq_text = freq_text.substr(0, freq_text.find(' '));
    if (!freq_text.empty() && freq_text.front() == '+') freq_text.remove_prefix(1);
    int64_t freq = 0;
    const auto [ptr, ec] = std::from_chars(freq_text.data(), freq_text.data() + freq_text.size(), freq);
    if (ec != std::errc() || ptr != freq_text.data() + freq_text.size() || freq_text.empty())
      throw bad("the frequency is not an integer");

    m_freq.insert_or_assign(std::string(word), freq);
    m_total += freq;
    for (size_t pos = 0; pos < word.size();) {
      text::utf8::next(word, pos);
      if (pos < word.size()) m_freq.try_emplace(std::string(word.substr(0, pos)), 0);
    }
  }
  for (const auto& [word, freq] : m_freq) m_word_count += freq != 0;
  if (m_total <= 0) throw FormatError(file.string() + ": no word with a positive frequency");
  m_log_total = std::log(static_cast<double>(m_total));
}

int64_t JiebaSegmenter::frequency(std::string_view utf8_word) const {
  const auto it = m_freq.find(utf8_word);
  return it == m_freq.end() ? -1 : it->second;
}

// Tokenizer.__cut_DAG for one re_han_default run.
void JiebaSegmenter::cut_run(std::u32string_view run, std::vector<std::u32string>& out) const {
  const size_t n = run.size();
  std::string utf8;
  std::vector<size_t> offset(n + 1, 0);  // byte offset of each character in utf8
  for (size_t i = 0; i < n; ++i) {
    offset[i] = utf8.size();
    text::utf8::append(utf8, run[i]);
  }
  offset[n] = utf8.size();
  auto fragment = [&](size_t from, size_t to) {  // run[from..to] inclusive, as UTF-8
    return std::string_view(utf8).substr(offset[from], offset[to + 1] - offset[from]);
  };

  // get_DAG: the ends of the dictionary words starting at each position (itself when none).
  std::vector<std::vector<size_t>> dag(n);
  for (size_t k = 0; k < n; ++k) {
    for (size_t i = k; i < n; ++i) {
      const int64_t f = frequency(fragment(k, i));
      if (f < 0) break;
      if (f > 0) dag[k].push_back(i);
    }
    if (dag[k].empty()) dag[k].push_back(k);
  }

  // calc: route[idx] = max over x of (log(FREQ.get(word) or 1) - log(total) + route[x + 1], x).
  std::vector<double> score(n + 1, 0.0);
  std::vector<size_t> end(n + 1, 0);
  for (size_t idx = n; idx-- > 0;) {
    bool first = true;
    for (size_t x : dag[idx]) {
      const int64_t f = frequency(fragment(idx, x));
      const double s = (std::log(static_cast<double>(f > 0 ? f : 1)) - m_log_total) + score[x + 1];
      if (first || s > score[idx] || (s == score[idx] && x > end[idx])) {
        score[idx] = s;
        end[idx] = x;
        first = false;
      }
    }
  }

  // Single characters on the route gather in buf: one alone stays, several go to the HMM unless
  // the dictionary has them as a word (then they come out one by one).
  std::u32string buf;
  auto flush = [&] {
    if (buf.empty()) return;
    if (buf.size() == 1) {
      out.push_back(buf);
    } else if (frequency(to_utf8(buf)) <= 0) {
      m_hmm.cut(buf, out);
    } else {
      for (char32_t c : buf) out.emplace_back(1, c);
    }
    buf.clear();
  };
  for (size_t x = 0; x < n;) {
    const size_t y = end[x] + 1;
    if (y - x == 1) {
      buf.push_back(run[x]);
    } else {
      flush();
      out.emplace_back(run.substr(x, y - x));
    }
    x = y;
  }
  flush();
}

std::vector<std::u32string> JiebaSegmenter::cut(std::u32string_view text) const {
  std::vector<std::u32string> out;
  size_t i = 0;
  while (i < text.size()) {
    const bool run = in_han_default(text[i]);
    size_t j = i;
    while (j < text.size() && in_han_default(text[j]) == run) ++j;
    if (run) {
      cut_run(text.substr(i, j - i), out);
    } else {
      // re_skip_default "(\r\n|\s)" splits the block; accurate mode emits every piece one
      // character at a time, so only "\r\n" stays together.
      for (size_t k = i; k < j;) {
        const size_t len = text[k] == U'\r' && k + 1 < j && text[k + 1] == U'\n' ? 2 : 1;
        out.emplace_back(text.substr(k, len));
        k += len;
      }
    }
    i = j;
  }
  return out;
}

std::vector<std::string> JiebaSegmenter::cut(std::string_view text) const {
  std::vector<std::string> out;
  for (const std::u32string& word : cut(std::u32string_view(to_code_points(text)))) out.push_back(to_utf8(word));
  return out;
}

std::shared_ptr<const JiebaSegmenter> shared_jieba_segmenter(const fs::path& dir) {
  static std::mutex mutex;
  static std::map<fs::path, std::shared_ptr<const JiebaSegmenter>> loaded;
  const fs::path resolved = jieba_data_dir(dir);
  std::lock_guard lock(mutex);
  if (const auto it = loaded.find(resolved); it != loaded.end()) return it->second;
  if (!JiebaSegmenter::available(resolved)) return nullptr;
  auto segmenter = JiebaSegmenter::load(resolved);
  loaded.emplace(resolved, segmenter);
  return segmenter;
}

}  // namespace vltune::eval
