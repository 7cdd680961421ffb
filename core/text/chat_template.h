#pragma once
// Conversation templates for TRAINING, as LLaMA-Factory defines and encodes them
// (src/llamafactory/data/template.py, formatter.py), so its users get the same tokens:
//  - a template is data: slot lists per role (formatter slots), a default system prompt, stop
//    words, and the EOS policy;
//  - each message's slots are formatted and every slot element is tokenized ON ITS OWN
//    (Template._convert_elements_to_ids with add_special_tokens=False): with SentencePiece
//    vocabularies each element then starts a fresh word, which is what LLaMA-Factory trains on;
//  - message 0 carries the prefix and the system block (Template._encode).
// Templates: qwen2_vl (Qwen2-VL and Qwen2.5-VL), llava (LLaVA-1.5 / Vicuna) verbatim from
// LLaMA-Factory; smolvlm, which LLaMA-Factory lacks, written after SmolVLM's own chat_template.
// The published Hugging Face chat templates used for CHAT are in chat_prompt.h.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/text/conversation.h"
#include "core/text/image_placeholders.h"
#include "core/text/tokenizer.h"

namespace vltune::text {

// One element of a formatter's slot list (LLaMA-Factory SLOTS).
struct SlotElement {
  enum class Kind {
    text,       // `text` with placeholders ({{content}}, ...) filled in, then tokenized alone
    bos_token,  // {"bos_token"}: the tokenizer's BOS id (nothing when it has none)
    eos_token,  // {"eos_token"}: the template's EOS id (see template_eos_id)
    token,      // {"token": text}: the id of the token `text`
  };
  Kind kind = Kind::text;  // what the element is
  std::string text;        // the text (Kind::text) or the token (Kind::token)
};
using Slots = std::vector<SlotElement>;

struct ConversationTemplate {
  std::string name;                     // LLaMA-Factory's name ("qwen2_vl", "llava", "smolvlm")
  Slots format_user;                    // a user message: {{content}} is its text (images expanded)
  Slots format_assistant;               // an assistant message
  Slots format_system;                  // the system block, before the first message
  Slots format_prefix;                  // once at the very start (BOS for some templates)
  std::string default_system;           // the system prompt when the sample gives none
  std::vector<std::string> stop_words;  // end-of-turn tokens for generation; with replace_eos the first is the EOS
  bool efficient_eos = false;           // assistant slots carry no EOS; one EOS closes the whole sample
  bool replace_eos = false;             // stop_words[0] replaces the tokenizer's EOS token
  ImagePlugin image_plugin = ImagePlugin::none;  // which model family's image expansion the template goes with
  bool llamafactory_image_resize = false;  // images are pre-resized as LLaMA-Factory does (its own plugins)
  bool space_unless_image_first = false;   // {{space}} is "" when the content starts with an image, " " otherwise (SmolVLM)
};

// The template called `name`. Throws FormatError listing the valid names.
const ConversationTemplate& get_template(std::string_view name);

// Valid template names, sorted.
std::vector<std::string> template_names();

// The LLaMA-Factory template a model_type trains with ("qwen2_vl" for qwen2_vl / qwen2_5_vl,
// "llava", "smolvlm" for idefics3 / smolvlm); empty when there is none.
std::string default_template_for_model_type(std::string_view model_type);

// The EOS id the template's {"eos_token"} slots stand for: stop_words[0] with replace_eos, else
// the tokenizer's EOS. Throws FormatError naming the tokenizer when there is none.
TokenId template_eos_id(const ConversationTemplate& tmpl, const Tokenizer& tokenizer);

// A conversation's messages with their `<image>` markers expanded for one model.
struct PreparedMessages {
  std::vector<Message> messages;          // as given, markers replaced by each image's block text
  std::vector<bool> image_first;          // per message: its content started with an image (SmolVLM's "User:" vs "User: ")
  std::vector<size_t> images_in_message;  // per message: how many images it holds
  std::vector<ImageSize> image_sizes;     // per image: the size the image processor gets (after LLaMA-Factory's resize where the template does it)
  std::vector<std::string> image_blocks;  // per image: the text its marker became
};

// Checks the marker count (FormatError naming conv.label on a mismatch, or when the template or
// the model takes no images) and expands the markers (LLaMA-Factory mm_plugin.process_messages).
PreparedMessages prepare_messages(const ConversationTemplate& tmpl, const ImageLayout& layout,
                                  const Conversation& conv, const LlamaFactoryImageParams& image_params = {});

// Throws FormatError naming `label` unless the messages alternate user/assistant starting with a
// user message (and, with `end_with_assistant`, end with an assistant one; else with a user one).
void check_alternating(std::span<const Message> messages, const std::string& label, bool end_with_assistant);

// Ids of each message formatted by the template (LLaMA-Factory Template._encode): message 0 is
// prefix + system block + the message; `system` empty means the template's default.
std::vector<std::vector<TokenId>> encode_messages(const ConversationTemplate& tmpl, const Tokenizer& tokenizer,
                                                  const PreparedMessages& prepared, std::string_view system);

// The ids of one message as encode_messages() gives them at position `index` of a conversation
// (`image_first`: its content starts with an image block), for a message that replaces another
// there without encoding the rest again (a preference pair's second answer).
std::vector<TokenId> encode_message(const ConversationTemplate& tmpl, const Tokenizer& tokenizer, const Message& message,
                                    size_t index, bool image_first, std::string_view system);

// The same as text: each message's elements concatenated (BOS/EOS/token elements as their
// token strings). Equal to decode(ids) for byte-level vocabularies.
std::vector<std::string> render_messages(const ConversationTemplate& tmpl, const Tokenizer& tokenizer,
                                         const PreparedMessages& prepared, std::string_view system);

}  // namespace vltune::text
