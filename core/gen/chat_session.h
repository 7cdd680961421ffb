#pragma once
// A multi-turn chat: the user's turns with their images and the model's answers, kept as a
// data::Record so each prompt is built as training encodes its samples (the family's template,
// SampleEncoder::encode_prompt): every earlier turn's images stay in the prompt.
//
//   gen::ChatSession chat("You are a careful assistant.");
//   chat.add_user("What colour is the square?", {"square.png"});
//   auto answer = gen::generate(model, chat.prompt(encoder), encoder.tokenizer(), params);
//   chat.add_answer(answer.text);
//   chat.add_user("And its shape?");   // the image of the first turn is still seen

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "core/data/collate.h"
#include "core/data/dataset.h"
#include "core/data/sample_encoder.h"

namespace vltune::gen {

class ChatSession {
 public:
  explicit ChatSession(std::string system = {});

  // The system prompt ("" = the template's default); applies to the whole conversation.
  void set_system(std::string system);
  const std::string& system() const { return m_record.system; }

  // The user's next turn: `text` and the images it shows, in order. Images the text does not
  // mark with "<image>" are put before it, as LLaMA-Factory's chat does. Throws vltune::Error when
  // the last user turn still waits for its answer or the text marks more images than it has,
  // FileError naming an image file that does not exist.
  void add_user(const std::string& text, const std::vector<std::filesystem::path>& images = {});
  // The model's answer to the waiting user turn. Throws vltune::Error when no turn waits.
  void add_answer(const std::string& text);
  // Takes the last answer back so it can be generated again (Regenerate). Throws vltune::Error
  // when the conversation does not end with an answer.
  void drop_answer();
  // Forgets every turn and image; the system prompt stays.
  void clear();

  // True when the last turn is the user's.
  bool awaiting_answer() const;
  // Turns so far (user and assistant).
  size_t turns() const { return m_record.turns.size(); }
  // Images of all turns, in order.
  size_t images() const { return m_record.images.size(); }
  const data::Record& record() const { return m_record; }

  // The batch of one row to generate the next answer from (collate() of encode_prompt). Throws
  // vltune::Error when no user turn waits, and what the encoder throws (an unreadable image...).
  data::Batch prompt(const data::SampleEncoder& encoder) const;

 private:
  data::Record m_record;
};

}  // namespace vltune::gen
