#include "core/gen/chat_session.h"

#include <system_error>

#include "core/error.h"
#include "core/text/conversation.h"

namespace vltune::gen {

namespace fs = std::filesystem;

namespace {

size_t count_markers(const std::string& text) {
  size_t n = 0;
  for (size_t at = text.find(text::kImageMarker); at != std::string::npos; at = text.find(text::kImageMarker, at + 1)) ++n;
  return n;
}

}  // namespace

ChatSession::ChatSession(std::string system) {
  m_record.file = "chat";
  m_record.system = std::move(system);
}

void ChatSession::set_system(std::string system) { m_record.system = std::move(system); }

bool ChatSession::awaiting_answer() const { return !m_record.turns.empty() && m_record.turns.back().role == "user"; }

void ChatSession::add_user(const std::string& text, const std::vector<fs::path>& images) {
  if (awaiting_answer()) throw Error("chat: the last question has no answer yet");
  const size_t marked = count_markers(text);
  if (marked > images.size())
    throw Error("chat: the message marks " + std::to_string(marked) + " images with <image> but " +
                std::to_string(images.size()) + " are attached");
  std::vector<data::ImageRef> refs;
  for (const auto& path : images) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw FileError("chat: image \"" + path.string() + "\" does not exist");
    data::ImageRef ref;
    ref.written = path.string();
    ref.path = fs::absolute(path, ec);
    refs.push_back(std::move(ref));
  }
  std::string content;
  for (size_t i = marked; i < images.size(); ++i) content += text::kImageMarker;
  content += text;
  m_record.turns.push_back({"user", std::move(content)});
  m_record.images.insert(m_record.images.end(), refs.begin(), refs.end());
}

void ChatSession::add_answer(const std::string& text) {
  if (!awaiting_answer()) throw Error("chat: there is no question to answer");
  m_record.turns.push_back({"assistant", text});
}

void ChatSession::drop_answer() {
  if (m_record.turns.empty() || m_record.turns.back().role != "assistant")
    throw Error("chat: the conversation does not end with an answer");
  m_record.turns.pop_back();
}

void ChatSession::clear() {
  m_record.turns.clear();
  m_record.images.clear();
}

data::Batch ChatSession::prompt(const data::SampleEncoder& encoder) const {
  if (!awaiting_answer()) throw Error("chat: there is no question to answer");
  const data::EncodedExample ex = encoder.encode_prompt(m_record);
  return data::collate({&ex, 1}, encoder.family(), encoder.pad_id());
}

}  // namespace vltune::gen
