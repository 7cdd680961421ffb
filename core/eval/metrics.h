#pragma once
// The similarity scores of LLaMA-Factory's "Evaluate & Predict" (ComputeSimilarity in
// src/llamafactory/train/sft/metric.py), per sample:
//   bleu-4           NLTK sentence BLEU over characters, smoothing method 3 (bleu.h)
//   rouge-1/2/l      rouge_chinese f-scores over jieba's words (rouge.h, jieba_segmenter.h)
// each times 100 and rounded to 4 decimals with Python's round(); then the mean of those rounded
// values over the samples as np.mean computes it. Without jieba's data installed, ROUGE runs over
// characters instead, and everything that reports it says so (kRougeOverCharacters).

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/eval/jieba_segmenter.h"

namespace vltune::eval {

// How ROUGE split the texts.
enum class RougeTokens {
  jieba_words,  // LLaMA-Factory's way
  characters,   // the fallback: no parity with LLaMA-Factory's ROUGE
};

// The label of the fallback, shown in the UI and written into predict_results.json.
inline constexpr const char* kRougeOverCharacters = "rouge over characters (jieba dictionary not found)";

// One sample's scores, or their mean: percentages, as LLaMA-Factory stores them.
struct SimilarityScores {
  double bleu_4 = 0.0;   // "bleu-4"
  double rouge_1 = 0.0;  // "rouge-1"
  double rouge_2 = 0.0;  // "rouge-2"
  double rouge_l = 0.0;  // "rouge-l"
};

// One sample scored as ComputeSimilarity does. `segmenter` null: ROUGE over characters.
SimilarityScores compute_similarity(std::string_view prediction, std::string_view label,
                                    const JiebaSegmenter* segmenter);

// The mean of each score over the samples (np.mean); all 0 for no sample.
SimilarityScores mean_similarity(const std::vector<SimilarityScores>& samples);

struct SimilarityParams {
  std::filesystem::path jieba_dir;  // jieba's data; empty: $VLTUNE_JIEBA_DIR, else Debian's python3-jieba
};

// Scores samples with the process-wide jieba segmenter when its data is installed, over
// characters otherwise.
class SimilarityScorer {
 public:
  // Loads jieba's data on first use in the process; throws vltune::FormatError if it is there but
  // malformed.
  explicit SimilarityScorer(const SimilarityParams& params = {});

  SimilarityScores score(std::string_view prediction, std::string_view label) const;
  RougeTokens rouge_tokens() const { return m_jieba ? RougeTokens::jieba_words : RougeTokens::characters; }
  // The folder jieba's data was looked for in.
  const std::filesystem::path& jieba_dir() const { return m_jieba_dir; }

 private:
  std::filesystem::path m_jieba_dir;
  std::shared_ptr<const JiebaSegmenter> m_jieba;
};

// Python's round(x, ndigits) for floats: the decimal nearest to x's exact binary value (ties to
// even), read back as the nearest double.
double python_round(double x, int ndigits);

// float(np.mean(values)) of a list of floats: numpy's pairwise summation (8 accumulators,
// halving above 128 values), then one division. 0 for an empty list (numpy gives nan).
double numpy_mean(const std::vector<double>& values);

}  // namespace vltune::eval
