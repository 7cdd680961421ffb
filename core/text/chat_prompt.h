#pragma once
// Generation prompts for CHAT. A checkpoint's own chat_template is followed when it is one of the
// published templates of the three families, reproduced here without a Jinja engine:
//   qwen2_vl  Qwen2-VL / Qwen2.5-VL chat_template.json: default system prompt, images where they
//             stand as <|vision_start|><|image_pad|><|vision_end|>, "<|im_start|>assistant\n"
//   llava     llava-hf's: "USER: " / "ASSISTANT: " prefixes, each message's images first as
//             "<image>\n", each text followed by " ", no default system, "ASSISTANT:"
//   smolvlm   SmolVLM's: "<|im_start|>", "User:" before an image-first message, "User: "
//             otherwise, "<end_of_utterance>\n" after each, "Assistant:"
// then the processor's step: the image placeholders expanded for each image's size and the text
// tokenized with the tokenizer's own special tokens (BOS for LLaVA; none added when the text
// starts with BOS already), as Qwen2VLProcessor, LlavaProcessor and Idefics3Processor do. A checkpoint without a chat template gets the
// LLaMA-Factory training template's prompt instead, and a note says so.

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/text/chat_template.h"
#include "core/text/conversation.h"
#include "core/text/image_placeholders.h"
#include "core/text/tokenizer.h"

namespace vltune::text {

// The published chat templates vltune reproduces.
enum class ChatFormat { qwen2_vl, llava, smolvlm };

// "qwen2_vl", "llava", "smolvlm".
std::string_view chat_format_name(ChatFormat format);

// Which published template a Jinja chat_template is, from its distinctive pieces; none when it is
// none of them.
std::optional<ChatFormat> recognise_chat_template(std::string_view jinja);

// The published template for a config.json model_type; none for others (CLIP).
std::optional<ChatFormat> chat_format_for_model_type(std::string_view model_type);

// Renders messages as the published template does (messages' `<image>` markers become the
// template's image items, in place; a message's content items are its text between markers and
// its images). `system` non-empty is rendered as a leading system message. With
// `expanded_images` (one text per image) the images' placeholders are replaced by those texts.
std::string render_chat_template(ChatFormat format, std::span<const Message> messages, std::string_view system,
                                 bool add_generation_prompt,
                                 std::span<const std::string> expanded_images = {});

// How a model folder's chat prompts are made.
struct ChatTemplateChoice {
  std::optional<ChatFormat> format;      // the checkpoint's own (published) template; none = LLaMA-Factory's
  std::string llamafactory_template;     // the training template used when `format` is none
  std::vector<std::string> notes;        // where the choice came from, and any fallback
};

// Looks for the checkpoint's chat template (chat_template.jinja, chat_template.json, then
// tokenizer_config.json's chat_template) and recognises it; an unrecognised one falls back to the
// published template of the config's model_type, a missing one to the LLaMA-Factory template of
// that model_type, each with a note. Throws FormatError when neither the template nor config.json
// say which family the model is.
ChatTemplateChoice choose_chat_template(const std::filesystem::path& model_folder);

struct ChatPrompt {
  std::string text;                 // the prompt text, image placeholders expanded
  std::vector<TokenId> input_ids;   // its tokens
  std::vector<std::string> notes;   // how it was made
};

// The generation prompt for `conv` (messages alternate user/assistant and end with the user's).
// Images without markers are put at the start of the first message (as LLaMA-Factory's chat does).
ChatPrompt build_chat_prompt(const ChatTemplateChoice& choice, const Tokenizer& tokenizer,
                             const ImageLayout& layout, const Conversation& conv,
                             const LlamaFactoryImageParams& image_params = {});

}  // namespace vltune::text
