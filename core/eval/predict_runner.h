#pragma once
// LLaMA-Factory's "Evaluate & Predict" (do_predict with predict_with_generate) over dataset records:
// each sample's prompt is encoded (SampleEncoder::encode_prompt, its images included), answered by
// gen::generate with the model as it is (its active adapters), and scored; then the three files of
// predictions_writer.h go to output_dir. Optionally (LLaMA-Factory's do_eval) the supervised eval
// loss over the same samples, as the trainer evaluates (train::evaluate), and its perplexity.
//
// Each line of generated_predictions.jsonl is what CustomSeq2SeqTrainer.save_predictions writes:
//   prompt   the prompt's ids decoded WITH special tokens (dataset["input_ids"], never padded)
//   predict  the generated answer, special tokens and the stop id left out
//   label    the reference: the last assistant turn formatted by the template (as the unsupervised
//            processor's labels: "answer<|im_end|>\n" for Qwen) and decoded with special tokens
//            skipped ("answer\n"); the template's empty answer when the record has none
// Differences from LLaMA-Factory: one sample per generation (no left-padded batches, so steps =
// samples), and no cutoff_len cut of the prompt or the label.
//
// Cancelling: the stop token is checked before each sample and during its generation. A sample
// whose generation was cut is dropped; the samples done before it are kept, and the files are
// written over them (each file atomically, so never half a file), so the work is not lost;
// PredictOutcome::cancelled says the files cover only `records.size()` of the samples. The eval
// loss is not computed once cancelled.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/sample_encoder.h"
#include "core/eval/metrics.h"
#include "core/eval/predictions_writer.h"
#include "core/gen/generation_params.h"

namespace vltune::lora {
class LoraModel;
}

namespace vltune::eval {

struct PredictParams {
  gen::GenerationParams generation;  // how every answer is generated (stop_ids: gen::chat_eos_ids)
  std::filesystem::path output_dir;  // where the files go (created); "" = write nothing
  bool compute_eval_loss = false;    // also the eval loss and perplexity over the same samples (do_eval)
  int64_t eval_batch_size = 8;       // samples per batch of that loss (per_device_eval_batch_size)
  SimilarityParams similarity;       // where jieba's data is looked for
};

// After each sample.
struct PredictProgress {
  int64_t done = 0;              // samples predicted so far
  int64_t total = 0;             // samples to predict
  int64_t record = -1;           // the dataset record just predicted
  PredictionRecord prediction;   // its line
  SimilarityScores scores;       // its scores
  double elapsed_seconds = 0;    // since the run began
};
// Called on the predicting thread; it may trigger the stop token.
using PredictCallback = std::function<void(const PredictProgress&)>;

// The eval loss of the same samples (train::evaluate over their supervised encoding).
struct EvalLoss {
  double loss = 0;          // "eval_loss": token-weighted mean cross-entropy
  double perplexity = 0;    // "perplexity": exp(eval_loss) (inf when it overflows), as LLaMA-Factory's pt workflow
  double runtime_s = 0;     // wall time of the pass
  int64_t samples = 0;      // rows evaluated
  int64_t steps = 0;        // batches
};

struct PredictOutcome {
  std::vector<int64_t> samples;              // the dataset records predicted, in order
  std::vector<PredictionRecord> records;     // their lines of generated_predictions.jsonl
  std::vector<SimilarityScores> scores;      // their scores
  PredictResults results;                    // what predict_results.json holds
  std::optional<EvalLoss> eval;              // with compute_eval_loss, unless cancelled
  bool cancelled = false;                    // the stop token ended the run before the last sample
};

// The label of `record` as LLaMA-Factory's predict writes it (see above). Not for CLIP.
std::string prediction_label(const data::SampleEncoder& encoder, const data::Record& record);

// Predicts `records[i]` for each i in `samples`, in that order, with `model` as it is (active
// adapters, scale). Writes generated_predictions.jsonl, predict_results.json (all_results.json
// merged) and, with the eval loss, eval_results.json (eval_loss, perplexity, eval_runtime,
// eval_samples_per_second, eval_steps_per_second; merged into all_results.json too) into
// params.output_dir. Throws vltune::Error for CLIP, an index out of range, or bad generation
// params (naming the field), what encode_prompt throws (naming the row; after the samples before
// it are predicted, as the next sample is encoded while one generates), and FileError when a file
// cannot be written.
PredictOutcome run_predict(lora::LoraModel& model, const data::SampleEncoder& encoder,
                           std::span<const data::Record> records, const std::vector<int64_t>& samples,
                           const PredictParams& params, const PredictCallback& on_progress = {},
                           std::stop_token stop = {});

// The metrics of eval_results.json (transformers' evaluate() keys and LLaMA-Factory's perplexity).
nlohmann::json eval_metrics(const EvalLoss& eval);

}  // namespace vltune::eval
