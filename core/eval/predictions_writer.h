#pragma once
// The two files LLaMA-Factory's predict run leaves in its output folder, byte for byte as it
// writes them:
//   generated_predictions.jsonl  one {"prompt": ..., "predict": ..., "label": ...} per sample
//                                (CustomSeq2SeqTrainer.save_predictions: json.dumps(...,
//                                ensure_ascii=False) + "\n")
//   predict_results.json         transformers' Trainer.save_metrics("predict", metrics):
//                                json.dump(metrics, indent=4, sort_keys=True), no final newline;
//                                the same keys are merged into all_results.json, which LlamaBoard
//                                shows when the run ends.
// The predict_results keys: predict_bleu-4, predict_rouge-1, predict_rouge-2, predict_rouge-l (the
// means), predict_runtime (seconds, rounded to 4 decimals), predict_samples_per_second and
// predict_steps_per_second (rounded to 3, left out when the runtime is 0, as transformers'
// speed_metrics does). When ROUGE ran over characters, "predict_rouge_note" says so.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/eval/metrics.h"

namespace vltune::eval {

struct PredictionRecord {
  std::string prompt;   // the model's input as text, special tokens included
  std::string predict;  // the generated answer, special tokens skipped
  std::string label;    // the reference answer
};

struct PredictResults {
  SimilarityScores mean;                          // over all samples (mean_similarity)
  double runtime_s = 0.0;                         // wall time of the predict loop
  int64_t samples = 0;                            // samples predicted
  int64_t steps = 0;                              // batches run
  RougeTokens rouge_tokens = RougeTokens::jieba_words;  // characters: the note is added
};

// One line of generated_predictions.jsonl, "\n" included.
std::string generated_prediction_line(const PredictionRecord& record);

// Writes all records to `file` atomically.
void write_generated_predictions(const std::filesystem::path& file, const std::vector<PredictionRecord>& records);

// The metrics as transformers computes them (values unrounded where it leaves them unrounded).
nlohmann::json predict_metrics(const PredictResults& results);

// `metrics` as Python's json.dump(indent=4, sort_keys=True) prints it (floats in repr's form).
std::string python_json_text(const nlohmann::json& metrics);

// transformers' Trainer.save_metrics: `metrics` written as `dir`/`file` (python_json_text) and its
// keys merged into `dir`/all_results.json, both atomically. Throws vltune::FileError when a file
// cannot be written, vltune::FormatError when an existing all_results.json is not a JSON object.
void save_metrics(const std::filesystem::path& dir, const std::string& file, const nlohmann::json& metrics);

// Writes `dir`/predict_results.json and merges the same keys into `dir`/all_results.json, both
// atomically. Throws vltune::FileError when a file cannot be written, vltune::FormatError when an
// existing all_results.json is not a JSON object.
void write_predict_results(const std::filesystem::path& dir, const PredictResults& results);

}  // namespace vltune::eval
