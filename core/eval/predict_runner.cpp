#include "core/eval/predict_runner.h"

#include <chrono>
#include <cmath>
#include <future>
#include <limits>

#include "core/data/collate.h"
#include "core/error.h"
#include "core/gen/generator.h"
#include "core/io/json_file.h"
#include "core/lora/lora_model.h"
#include "core/text/chat_template.h"
#include "core/text/image_placeholders.h"
#include "core/train/batch_source.h"
#include "core/train/trainer.h"

namespace vltune::eval {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }


// The supervised loss of `samples`, in order, as the trainer's evaluation computes it; nullopt
// when stopped.
std::optional<EvalLoss> eval_loss(lora::LoraModel& model, const data::SampleEncoder& encoder,
                                  std::span<const data::Record> records, const std::vector<int64_t>& samples,
                                  int64_t batch_size, std::stop_token stop) {
  data::LoaderParams lp;
  lp.batch_size = batch_size;
  lp.shuffle = false;
  lp.drop_last = false;
  train::LoaderBatchSource source(encoder, records, samples, lp, stop);
  const bool was_training = model.module().is_training();
  const auto result = train::evaluate(model, source, stop);
  model.set_training(was_training);  // evaluate() leaves training mode on
  if (!result) return std::nullopt;
  EvalLoss e;
  e.loss = result->loss;
  // math.exp raises OverflowError past ~709; LLaMA-Factory reports inf then.
  e.perplexity = e.loss > 709.0 ? std::numeric_limits<double>::infinity() : std::exp(e.loss);
  e.runtime_s = result->seconds;
  e.samples = result->samples;
  e.steps = result->batches;
  return e;
}

}  // namespace

std::string prediction_label(const data::SampleEncoder& encoder, const data::Record& record) {
  const text::ConversationTemplate* tmpl = encoder.chat_template();
  if (!tmpl) throw Error(data::record_label(record) + ": CLIP has no answers to predict");
  std::string answer;
  if (!record.turns.empty() && record.turns.back().role == "assistant") answer = record.turns.back().content;
  // The answer is the template's last message, whatever came before: format only it (after an
  // empty user turn that gives it its place) and keep its ids.
  text::Conversation conv;
  conv.messages = {{text::Role::user, ""}, {text::Role::assistant, answer}};
  conv.system = record.system;
  conv.label = data::record_label(record);
  const text::PreparedMessages prepared = text::prepare_messages(*tmpl, text::ImageLayout{}, conv);
  const std::vector<text::TokenId> ids = text::encode_messages(*tmpl, encoder.tokenizer(), prepared, conv.system).back();
  return encoder.tokenizer().decode(ids, /*skip_special=*/true);
}

Json eval_metrics(const EvalLoss& eval) {
  Json metrics = Json::object();
  metrics["eval_loss"] = eval.loss;
  metrics["perplexity"] = eval.perplexity;
  // transformers' speed_metrics("eval", ...).
  metrics["eval_runtime"] = python_round(eval.runtime_s, 4);
  if (eval.runtime_s != 0.0) {
    metrics["eval_samples_per_second"] = python_round(static_cast<double>(eval.samples) / eval.runtime_s, 3);
    metrics["eval_steps_per_second"] = python_round(static_cast<double>(eval.steps) / eval.runtime_s, 3);
  }
  return metrics;
}

PredictOutcome run_predict(lora::LoraModel& model, const data::SampleEncoder& encoder,
                           std::span<const data::Record> records, const std::vector<int64_t>& samples,
                           const PredictParams& params, const PredictCallback& on_progress, std::stop_token stop) {
  if (encoder.family() == io::ModelFamily::clip) throw Error("predict: CLIP generates no answers");
  gen::validate(params.generation);
  for (int64_t i : samples)
    if (i < 0 || i >= static_cast<int64_t>(records.size()))
      throw Error("predict: record " + std::to_string(i) + " is out of range (" + std::to_string(records.size()) + " records)");
  const SimilarityScorer scorer(params.similarity);

  PredictOutcome out;
  const auto started = Clock::now();
  // The next sample's prompt is encoded (its image decoded and prepared: ~190 ms for a 12 MP photo
  // with Qwen2-VL) on another thread while this one generates, so a GPU doesn't wait for each
  // image. What the encoding throws surfaces at its sample's turn, after the ones before it.
  const auto encode_ahead = [&](size_t k) {
    return std::async(std::launch::async, [&encoder, &records, i = samples[k]] {
      return encoder.encode_prompt(records[static_cast<size_t>(i)], i);
    });
  };
  std::future<data::EncodedExample> next;
  if (!samples.empty()) next = encode_ahead(0);
  for (size_t k = 0; k < samples.size(); ++k) {
    if (stop.stop_requested()) break;
    const int64_t i = samples[k];
    const data::Record& record = records[static_cast<size_t>(i)];
    const data::EncodedExample prompt = next.get();
    if (k + 1 < samples.size()) next = encode_ahead(k + 1);
    const data::Batch batch = data::collate({&prompt, 1}, encoder.family(), encoder.pad_id());
    const gen::GenerationResult answer = gen::generate(model, batch, encoder.tokenizer(), params.generation, {}, stop);
    if (answer.finish == gen::FinishReason::cancelled) break;  // half an answer: dropped
    PredictionRecord line;
    line.prompt = encoder.tokenizer().decode(prompt.input_ids, /*skip_special=*/false);
    line.predict = answer.text;
    line.label = prediction_label(encoder, record);
    const SimilarityScores scores = scorer.score(line.predict, line.label);
    out.samples.push_back(i);
    out.records.push_back(line);
    out.scores.push_back(scores);
    if (on_progress)
      on_progress(PredictProgress{static_cast<int64_t>(out.records.size()), static_cast<int64_t>(samples.size()), i,
                                  std::move(line), scores, seconds_since(started)});
  }
  out.cancelled = out.records.size() < samples.size();
  out.results.mean = mean_similarity(out.scores);
  out.results.runtime_s = seconds_since(started);
  out.results.samples = static_cast<int64_t>(out.records.size());
  out.results.steps = out.results.samples;  // one generation per sample
  out.results.rouge_tokens = scorer.rouge_tokens();

  if (params.compute_eval_loss && !out.cancelled && !out.samples.empty()) {
    out.eval = eval_loss(model, encoder, records, out.samples, params.eval_batch_size, stop);
    if (!out.eval) out.cancelled = true;
  }

  if (!params.output_dir.empty()) {
    fs::create_directories(params.output_dir);
    write_generated_predictions(params.output_dir / "generated_predictions.jsonl", out.records);
    write_predict_results(params.output_dir, out.results);
    if (out.eval) save_metrics(params.output_dir, "eval_results.json", eval_metrics(*out.eval));
  }
  return out;
}

}  // namespace vltune::eval
