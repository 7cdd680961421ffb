#include "core/eval/jieba_hmm.h"

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/eval/python_literal.h"

namespace vltune::eval {
namespace {

constexpr double kMinFloat = -3.14e100;  // finalseg's MIN_FLOAT: what a missing entry scores
constexpr char32_t kStateNames[] = {U'B', U'M', U'E', U'S'};
// finalseg's PrevStatus: the states each state may follow.
constexpr int kPrev[4][2] = {{2, 3} /*B: E S*/, {1, 0} /*M: M B*/, {0, 1} /*E: B M*/, {3, 2} /*S: S E*/};

bool is_han(char32_t c) { return c >= 0x4E00 && c <= 0x9FD5; }  // finalseg's re_han
bool is_ascii_alnum(char32_t c) {
  return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z') || (c >= U'0' && c <= U'9');
}
bool is_digit(char32_t c) { return c >= U'0' && c <= U'9'; }

// Python's max() over (score, state letter) tuples: a tie goes to the later letter.
bool beats(double score, int state, double best_score, int best_state) {
  return score > best_score || (score == best_score && kStateNames[state] > kStateNames[best_state]);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path.string() + ": cannot open jieba's HMM table");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int state_index(const std::u32string& key, const std::string& where) {
  for (int s = 0; s < 4; ++s)
    if (key.size() == 1 && key[0] == kStateNames[s]) return s;
  throw FormatError(where + ": unknown HMM state (expected B, M, E or S)");
}

PyLiteral read_table(const std::filesystem::path& path) {
  const std::string where = path.string();
  PyLiteral table = parse_python_assignment(read_file(path), "P", where);
  if (table.kind != PyLiteral::Kind::dict) throw FormatError(where + ": P is not a dict");
  return table;
}

const PyLiteral& dict_value(const PyLiteral& v, const std::string& where) {
  if (v.kind != PyLiteral::Kind::dict) throw FormatError(where + ": expected a dict per state");
  return v;
}

double number_value(const PyLiteral& v, const std::string& where) {
  if (v.kind != PyLiteral::Kind::number) throw FormatError(where + ": expected a number");
  return v.number;
}

}  // namespace

JiebaHmm JiebaHmm::load(const std::filesystem::path& finalseg_dir) {
  JiebaHmm hmm;
  hmm.m_start.fill(kMinFloat);
  for (auto& row : hmm.m_trans) row.fill(kMinFloat);

  const auto start_path = finalseg_dir / "prob_start.py";
  const PyLiteral start = read_table(start_path);
  for (size_t i = 0; i < start.keys.size(); ++i)
    hmm.m_start[state_index(start.keys[i], start_path.string())] =
        number_value(start.values[i], start_path.string());

  const auto trans_path = finalseg_dir / "prob_trans.py";
  const PyLiteral trans = read_table(trans_path);
  for (size_t i = 0; i < trans.keys.size(); ++i) {
    const int from = state_index(trans.keys[i], trans_path.string());
    const PyLiteral& row = dict_value(trans.values[i], trans_path.string());
    for (size_t j = 0; j < row.keys.size(); ++j)
      hmm.m_trans[from][state_index(row.keys[j], trans_path.string())] =
          number_value(row.values[j], trans_path.string());
  }

  const auto emit_path = finalseg_dir / "prob_emit.py";
  const PyLiteral emit = read_table(emit_path);
  for (size_t i = 0; i < emit.keys.size(); ++i) {
    const int state = state_index(emit.keys[i], emit_path.string());
    const PyLiteral& row = dict_value(emit.values[i], emit_path.string());
    auto& map = hmm.m_emit[state];
    map.reserve(row.keys.size());
    for (size_t j = 0; j < row.keys.size(); ++j) {
      if (row.keys[j].size() != 1) throw FormatError(emit_path.string() + ": an emission key is not one character");
      map[row.keys[j][0]] = number_value(row.values[j], emit_path.string());
    }
  }
  if (hmm.m_emit[0].empty()) throw FormatError(emit_path.string() + ": no emission probabilities");
  return hmm;
}

double JiebaHmm::emit(int state, char32_t c) const {
  const auto it = m_emit[state].find(c);
  return it == m_emit[state].end() ? kMinFloat : it->second;
}

void JiebaHmm::cut_han(std::u32string_view han, std::vector<std::u32string>& out) const {
  const size_t n = han.size();
  // v[t][s]: best log-probability of a path ending in s at t; back[t][s]: its previous state.
  std::vector<std::array<double, kStates>> v(n);
  std::vector<std::array<int, kStates>> back(n);
  for (int s = 0; s < kStates; ++s) v[0][s] = m_start[s] + emit(s, han[0]);
  for (size_t t = 1; t < n; ++t) {
    for (int s = 0; s < kStates; ++s) {
      const double em = emit(s, han[t]);
      int best_state = kPrev[s][0];
      double best = v[t - 1][best_state] + m_trans[best_state][s] + em;
      const int other = kPrev[s][1];
      const double score = v[t - 1][other] + m_trans[other][s] + em;
      if (beats(score, other, best, best_state)) {
        best = score;
        best_state = other;
      }
      v[t][s] = best;
      back[t][s] = best_state;
    }
  }
  // The path must end in E or S.
  int state = v[n - 1][3] >= v[n - 1][2] ? 3 : 2;  // S wins a tie, as in max()
  std::vector<int> path(n);
  for (size_t t = n; t-- > 0;) {
    path[t] = state;
    if (t > 0) state = back[t][state];
  }

  size_t begin = 0, next = 0;
  for (size_t i = 0; i < n; ++i) {
    const char32_t pos = kStateNames[path[i]];
    if (pos == U'B') {
      begin = i;
    } else if (pos == U'E') {
      out.emplace_back(han.substr(begin, i + 1 - begin));
      next = i + 1;
    } else if (pos == U'S') {
      out.emplace_back(han.substr(i, 1));
      next = i + 1;
    }
  }
  if (next < n) out.emplace_back(han.substr(next));
}

void JiebaHmm::cut(std::u32string_view text, std::vector<std::u32string>& out) const {
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    if (is_han(text[i])) {
      while (j < text.size() && is_han(text[j])) ++j;
      cut_han(text.substr(i, j - i), out);
      i = j;
      continue;
    }
    while (j < text.size() && !is_han(text[j])) ++j;
    // re_skip.split on the non-Han block, "([a-zA-Z0-9]+(?:\.\d+)?%?)": matches and the pieces
    // between them, empty pieces dropped. \d is [0-9] here: the segmenter only hands over blocks
    // of jieba's re_han_default class, ASCII apart from Han.
    const std::u32string_view block = text.substr(i, j - i);
    size_t k = 0, gap = 0;
    while (k < block.size()) {
      if (!is_ascii_alnum(block[k])) {
        ++k;
        continue;
      }
      if (k > gap) out.emplace_back(block.substr(gap, k - gap));
      size_t m = k;
      while (m < block.size() && is_ascii_alnum(block[m])) ++m;
      if (m + 1 < block.size() && block[m] == U'.' && is_digit(block[m + 1])) {
        m += 2;
        while (m < block.size() && is_digit(block[m])) ++m;
      }
      if (m < block.size() && block[m] == U'%') ++m;
      out.emplace_back(block.substr(k, m - k));
      k = gap = m;
    }
    if (block.size() > gap) out.emplace_back(block.substr(gap));
    i = j;
  }
}

}  // namespace vltune::eval
