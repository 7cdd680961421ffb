#pragma once
// Pinned samples: a few validation rows answered by the model as it trains, every N steps, so the
// user watches the answers evolve (the trainer's on_pinned_samples hook; the desktop app's monitor
// shows them, vltune-cli prints them and writes pinned_samples.jsonl).
//
// The prompts are encoded once, with the training template and images (SampleEncoder::
// encode_prompt), so each round only runs the model: greedy, with the active adapters, stopping at
// generation_config.json's EOS ids or the template's EOS.

#include <cstdint>
#include <string>
#include <vector>

#include "core/data/collate.h"
#include "core/data/dataset.h"
#include "core/data/sample_encoder.h"
#include "core/lora/lora_model.h"

namespace vltune::lora {

struct PinnedParams {
  int64_t max_new_tokens = 64;  // answer length cap per sample
};

// One sample's answer in one round.
struct PinnedAnswer {
  int64_t record = 0;     // index into the dataset's records
  std::string source;     // where the row is: "data.json row 3" (Record::file and row)
  std::string image;      // the sample's first image, resolved ("" when it has none)
  std::string question;   // the last user turn as asked (the user's own question when one was given)
  std::string reference;  // the dataset's answer (the final assistant turn)
  std::string answer;     // the model's, special tokens skipped, trimmed
  bool stopped = false;   // ended with an EOS (false: cut at max_new_tokens)
};

struct PinnedRound {
  int64_t step = 0;                   // optimizer steps done when it ran (0: before training)
  std::vector<PinnedAnswer> answers;  // in the order the samples were pinned
};

class PinnedSamples {
 public:
  // `records[i]` for each i in `indices` (the user's choice, or the first few of the validation
  // split), asked `questions[k]` instead of the row's last user turn where that is not empty
  // (`questions` may be shorter than `indices`). The encoder must outlive this; the records are
  // copied. Throws what SampleEncoder::encode_prompt throws, naming the row, and vltune::Error for
  // CLIP (nothing to generate) or an index out of range.
  PinnedSamples(const data::SampleEncoder& encoder, const std::vector<data::Record>& records, std::vector<int64_t> indices,
                const std::vector<int64_t>& eos_ids, PinnedParams params = {}, const std::vector<std::string>& questions = {});

  // Every pinned sample answered by `model` as it is now (active adapters), in eval mode without
  // autograd; the training mode is restored.
  PinnedRound answer(LoraModel& model, int64_t step) const;

  size_t size() const { return m_prompts.size(); }

 private:
  const data::SampleEncoder& m_encoder;
  std::vector<data::Record> m_records;  // the pinned rows, with the user's questions put in
  std::vector<int64_t> m_indices;
  std::vector<data::Batch> m_prompts;  // one batch of one prompt per sample
  std::vector<int64_t> m_eos;
  PinnedParams m_params;
};

// `record` asked `question` in place of its last user turn. The turn's `<image>` markers stay (in
// front of the question) unless the question places them itself. An empty question changes nothing.
data::Record with_question(data::Record record, const std::string& question);

// {"step": N, "samples": [{"record", "source", "image", "question", "reference", "answer", "stopped"}]}
// on one line.
std::string to_json_line(const PinnedRound& round);

}  // namespace vltune::lora
