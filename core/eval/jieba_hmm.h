#pragma once
// jieba's finalseg: the hidden Markov model that splits runs of characters the dictionary does not
// join (names, new words) into words. States B(egin), M(iddle), E(nd), S(ingle); Viterbi over the
// start, transition and emission log-probabilities of finalseg/prob_{start,trans,emit}.py, read at
// load time from the installed jieba (see python_literal.h).

#include <array>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vltune::eval {

class JiebaHmm {
 public:
  // Reads prob_start.py, prob_trans.py and prob_emit.py in `finalseg_dir`. Throws vltune::FileError
  // naming a missing file, vltune::FormatError naming a malformed one.
  static JiebaHmm load(const std::filesystem::path& finalseg_dir);

  // finalseg.cut(text): Han runs through Viterbi, the rest split into ASCII words/numbers and the
  // pieces between them. Appends the words to `out`.
  void cut(std::u32string_view text, std::vector<std::u32string>& out) const;

 private:
  static constexpr int kStates = 4;  // B, M, E, S

  void cut_han(std::u32string_view han, std::vector<std::u32string>& out) const;
  double emit(int state, char32_t c) const;

  std::array<double, kStates> m_start{};
  std::array<std::array<double, kStates>, kStates> m_trans{};  // [from][to]
  std::array<std::unordered_map<char32_t, double>, kStates> m_emit;
};

}  // namespace vltune::eval
