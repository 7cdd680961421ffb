#pragma once
// BLEU-4 as LLaMA-Factory scores a generated answer: NLTK's
//   sentence_bleu([list(label)], list(prediction), smoothing_function=SmoothingFunction().method3)
// with its default uniform weights (0.25, 0.25, 0.25, 0.25), over characters (code points).
// Follows nltk/translate/bleu_score.py (NLTK 3.8, Debian's python3-nltk) step by step, including
// the float details: log of each precision, math.fsum of the weighted logs, then exp.

#include <string_view>

namespace vltune::eval {

// In [0, 1]. 0 when no character of `hypothesis` occurs in `reference` (NLTK returns 0 before
// smoothing then), so also 0 for an empty hypothesis.
double sentence_bleu4(std::u32string_view hypothesis, std::u32string_view reference);

}  // namespace vltune::eval
