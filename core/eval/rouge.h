#pragma once
// ROUGE-1/2/L f-scores as the rouge_chinese package computes them, which LLaMA-Factory calls as
//   Rouge().get_scores(" ".join(hypothesis_words), " ".join(reference_words))[0][k]["f"].
// Its steps (rouge_chinese 1.0.3, Rouge._get_scores and rouge_score.py), reproduced here:
//   - each text is cut into sentences after 。！？? (and after ...... , …… and a closing quote that
//     follows one of them), right-stripped, split on "\n"; every non-empty piece is re-joined as
//     " ".join(piece.split()), so a whitespace-only piece becomes an empty sentence;
//   - words are all sentences' .split(" ") pieces, so an empty sentence counts as one empty word;
//   - ROUGE-N compares *sets* of n-grams: p = |H∩R|/|H|, r = |H∩R|/|R|, f = 2pr/(p + r + 1e-8);
//   - ROUGE-L is the longest common subsequence over all words: r = lcs/|ref|, p = lcs/|hyp|,
//     with the same f.

#include <string>
#include <string_view>
#include <vector>

namespace vltune::eval {

struct RougeScores {
  double rouge_1 = 0.0;  // f-score of unigrams, in [0, 1]
  double rouge_2 = 0.0;  // f-score of bigrams
  double rouge_l = 0.0;  // f-score of the longest common subsequence
};

// rouge_chinese's get_scores(hypothesis, reference)[0] f-values. Throws vltune::Error when a text
// has no sentence at all (rouge_chinese raises ValueError there too).
RougeScores rouge_chinese_scores(std::u32string_view hypothesis, std::u32string_view reference);

// LLaMA-Factory's ROUGE step for two token lists: all zero when either side has no word once the
// tokens are joined with " " and split on whitespace, else rouge_chinese_scores of the joined texts.
RougeScores rouge_over_tokens(const std::vector<std::u32string>& hypothesis,
                              const std::vector<std::u32string>& reference);

// rouge_chinese's Rouge.cut_sent (exposed for the tests).
std::vector<std::u32string> rouge_cut_sentences(std::u32string_view text);

}  // namespace vltune::eval
