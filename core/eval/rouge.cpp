#include "core/eval/rouge.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <utility>

#include "core/error.h"
#include "core/eval/python_text.h"

namespace vltune::eval {
namespace {

bool is_sentence_end(char32_t c) { return c == U'。' || c == U'！' || c == U'？' || c == U'?'; }
bool is_closing_quote(char32_t c) { return c == U'”' || c == U'’'; }

// re.sub(pattern, r"\1\n\2", text) for a pattern made of a fixed-length head and one following
// character: `head_at(text, i)` gives the head's length at i (0: no match), `follows(c)` tests the
// character after it. Matches never overlap and scanning resumes after each one, as re.sub does.
template <typename Head, typename Follows>
std::u32string split_after(std::u32string_view text, Head head_at, Follows follows) {
  std::u32string out;
  out.reserve(text.size() + 8);
  size_t i = 0;
  while (i < text.size()) {
    const size_t head = head_at(text, i);
    if (head > 0 && i + head < text.size() && follows(text[i + head])) {
      out.append(text.substr(i, head));
      out.push_back(U'\n');
      out.push_back(text[i + head]);
      i += head + 1;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

size_t run_of(std::u32string_view text, size_t i, char32_t c, size_t count) {
  if (i + count > text.size()) return 0;
  for (size_t k = 0; k < count; ++k)
    if (text[i + k] != c) return 0;
  return count;
}

// str.split(): runs of whitespace separate, none at the ends.
std::vector<std::u32string_view> split_whitespace(std::u32string_view text) {
  std::vector<std::u32string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_python_space(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !is_python_space(text[i])) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

// The words of a text as rouge_chinese sees them, as ids (equal words, equal ids).
class WordIds {
 public:
  std::vector<int64_t> words_of(std::u32string_view text) {
    std::vector<int64_t> out;
    for (const std::u32string& sentence : rouge_cut_sentences(text)) {
      if (sentence.empty()) continue;
      // " ".join(sentence.split()) then .split(" "): the words, or one empty word.
      const auto words = split_whitespace(sentence);
      if (words.empty()) out.push_back(id_of(U""));
      for (auto w : words) out.push_back(id_of(w));
    }
    return out;
  }

 private:
  int64_t id_of(std::u32string_view word) {
    auto [it, inserted] = m_ids.try_emplace(std::u32string(word), static_cast<int64_t>(m_ids.size()));
    return it->second;
  }
  std::map<std::u32string, int64_t> m_ids;
};

// rouge_score.f_r_p_rouge_n's and rouge_l_summary_level's f.
double f_score(double p, double r) { return 2.0 * ((p * r) / (p + r + 1e-8)); }

double rouge_n(const std::vector<int64_t>& hyp, const std::vector<int64_t>& ref, size_t n) {
  auto grams = [n](const std::vector<int64_t>& words) {
    std::set<std::vector<int64_t>> out;
    for (size_t i = 0; i + n <= words.size(); ++i) out.emplace(words.begin() + i, words.begin() + i + n);
    return out;
  };
  const auto h = grams(hyp);
  const auto r = grams(ref);
  int64_t overlap = 0;
  for (const auto& g : h) overlap += r.count(g);
  const double p = h.empty() ? 0.0 : static_cast<double>(overlap) / static_cast<double>(h.size());
  const double rc = r.empty() ? 0.0 : static_cast<double>(overlap) / static_cast<double>(r.size());
  return f_score(p, rc);
}

int64_t lcs_length(const std::vector<int64_t>& x, const std::vector<int64_t>& y) {
  std::vector<int64_t> prev(y.size() + 1, 0), row(y.size() + 1, 0);
  for (size_t i = 1; i <= x.size(); ++i) {
    for (size_t j = 1; j <= y.size(); ++j)
      row[j] = x[i - 1] == y[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], row[j - 1]);
    std::swap(prev, row);
  }
  return prev[y.size()];
}

}  // namespace

std::vector<std::u32string> rouge_cut_sentences(std::u32string_view text) {
  auto not_quote = [](char32_t c) { return !is_closing_quote(c); };
  std::u32string s = split_after(
      text, [](std::u32string_view t, size_t i) -> size_t { return is_sentence_end(t[i]) ? 1 : 0; },
      not_quote);
  s = split_after(s, [](std::u32string_view t, size_t i) { return run_of(t, i, U'.', 6); }, not_quote);
  s = split_after(s, [](std::u32string_view t, size_t i) { return run_of(t, i, U'…', 2); }, not_quote);
  s = split_after(
      s,
      [](std::u32string_view t, size_t i) -> size_t {
        return i + 1 < t.size() && is_sentence_end(t[i]) && is_closing_quote(t[i + 1]) ? 2 : 0;
      },
      [](char32_t c) { return !is_sentence_end(c) && c != U'，'; });
  while (!s.empty() && is_python_space(s.back())) s.pop_back();  // rstrip()
  std::vector<std::u32string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == U'\n') {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

RougeScores rouge_chinese_scores(std::u32string_view hypothesis, std::u32string_view reference) {
  WordIds ids;
  const std::vector<int64_t> hyp = ids.words_of(hypothesis);
  const std::vector<int64_t> ref = ids.words_of(reference);
  if (hyp.empty()) throw Error("rouge: the hypothesis has no sentence");
  if (ref.empty()) throw Error("rouge: the reference has no sentence");
  RougeScores scores;
  scores.rouge_1 = rouge_n(hyp, ref, 1);
  scores.rouge_2 = rouge_n(hyp, ref, 2);
  const int64_t lcs = lcs_length(ref, hyp);
  const double r_lcs = static_cast<double>(lcs) / static_cast<double>(ref.size());
  const double p_lcs = static_cast<double>(lcs) / static_cast<double>(hyp.size());
  scores.rouge_l = f_score(p_lcs, r_lcs);
  return scores;
}

RougeScores rouge_over_tokens(const std::vector<std::u32string>& hypothesis,
                              const std::vector<std::u32string>& reference) {
  auto joined = [](const std::vector<std::u32string>& tokens) {
    std::u32string out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) out.push_back(U' ');
      out += tokens[i];
    }
    return out;
  };
  const std::u32string hyp = joined(hypothesis);
  const std::u32string ref = joined(reference);
  if (split_whitespace(hyp).empty() || split_whitespace(ref).empty()) return {};
  return rouge_chinese_scores(hyp, ref);
}

}  // namespace vltune::eval
