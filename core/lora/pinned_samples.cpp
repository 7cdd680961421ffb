#include "core/lora/pinned_samples.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/gen/generator.h"
#include "core/text/conversation.h"

namespace vltune::lora {

namespace {

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// The last turn of `role` in the record ("" when none).
std::string last_turn(const data::Record& r, const std::string& role) {
  for (auto it = r.turns.rbegin(); it != r.turns.rend(); ++it)
    if (it->role == role) return it->content;
  return "";
}

// How many times `marker` occurs in `text`.
size_t count_of(const std::string& text, std::string_view marker) {
  size_t n = 0;
  for (size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, at + marker.size())) ++n;
  return n;
}

}  // namespace

data::Record with_question(data::Record record, const std::string& question) {
  if (trimmed(question).empty()) return record;
  for (auto it = record.turns.rbegin(); it != record.turns.rend(); ++it) {
    if (it->role != "user") continue;
    const std::string_view marker = text::kImageMarker;
    std::string content;
    if (count_of(question, marker) == 0)
      for (size_t k = count_of(it->content, marker); k > 0; --k) content += marker;
    it->content = content + question;
    break;
  }
  return record;
}

PinnedSamples::PinnedSamples(const data::SampleEncoder& encoder, const std::vector<data::Record>& records,
                             std::vector<int64_t> indices, const std::vector<int64_t>& eos_ids, PinnedParams params,
                             const std::vector<std::string>& questions)
    : m_encoder(encoder), m_indices(std::move(indices)), m_eos(eos_ids), m_params(params) {
  if (encoder.family() == io::ModelFamily::clip) throw Error("pinned samples: CLIP generates no answers");
  for (size_t k = 0; k < m_indices.size(); ++k) {
    const int64_t i = m_indices[k];
    if (i < 0 || i >= static_cast<int64_t>(records.size()))
      throw Error("pinned samples: record " + std::to_string(i) + " is out of range (" + std::to_string(records.size()) + " records)");
    m_records.push_back(with_question(records[static_cast<size_t>(i)], k < questions.size() ? questions[k] : std::string()));
    const data::EncodedExample prompt = encoder.encode_prompt(m_records.back(), i);
    m_prompts.push_back(data::collate({&prompt, 1}, encoder.family(), encoder.pad_id()));
  }
}

PinnedRound PinnedSamples::answer(LoraModel& model, int64_t step) const {
  PinnedRound round;
  round.step = step;
  for (size_t k = 0; k < m_prompts.size(); ++k) {
    const data::Record& r = m_records[k];
    // The app's generation engine, greedy: what the Chat page would answer at this step.
    gen::GenerationParams params;
    params.max_new_tokens = m_params.max_new_tokens;
    params.stop_ids = m_eos;
    const gen::GenerationResult result = gen::generate(model, m_prompts[k], m_encoder.tokenizer(), params);
    PinnedAnswer a;
    a.record = m_indices[k];
    a.source = r.file + " row " + std::to_string(r.row);
    if (!r.images.empty()) a.image = r.images.front().path.string();
    a.question = last_turn(r, "user");
    a.reference = last_turn(r, "assistant");
    a.stopped = result.finish == gen::FinishReason::eos;
    a.answer = trimmed(result.text);
    round.answers.push_back(std::move(a));
  }
  return round;
}

std::string to_json_line(const PinnedRound& round) {
  nlohmann::json samples = nlohmann::json::array();
  for (const auto& a : round.answers)
    samples.push_back({{"record", a.record}, {"source", a.source}, {"image", a.image}, {"question", a.question}, {"reference", a.reference}, {"answer", a.answer}, {"stopped", a.stopped}});
  // Replacement characters, not an exception, for a half-decoded multi-byte piece.
  return nlohmann::json{{"step", round.step}, {"samples", samples}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace vltune::lora
