#include "core/text/chat_template.h"

#include <algorithm>
#include <utility>

#include "core/error.h"
#include "core/text/chat_formats.h"

namespace vltune::text {

namespace {

using Kwargs = std::vector<std::pair<std::string, std::string>>;

// StringFormatter.apply: in each text slot, every {{name}} is replaced once, in kwargs order.
Slots apply_formatter(const Slots& slots, const Kwargs& kwargs) {
  Slots out;
  out.reserve(slots.size());
  for (const SlotElement& slot : slots) {
    SlotElement e = slot;
    if (e.kind == SlotElement::Kind::text) {
      for (const auto& [name, value] : kwargs) {
        const std::string placeholder = "{{" + name + "}}";
        if (size_t at = e.text.find(placeholder); at != std::string::npos)
          e.text.replace(at, placeholder.size(), value);
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

// The slot elements of message `i` (Template._encode).
Slots message_elements(const ConversationTemplate& tmpl, const Message& m, size_t i, bool image_first,
                       std::string_view system) {
  Slots elements;
  if (i == 0) {
    elements = tmpl.format_prefix;
    const std::string effective = system.empty() ? tmpl.default_system : std::string(system);
    if (!effective.empty()) {
      Slots s = apply_formatter(tmpl.format_system, {{"content", effective}});
      elements.insert(elements.end(), s.begin(), s.end());
    }
  }
  const std::string space = tmpl.space_unless_image_first && !image_first ? " " : "";
  Slots s;
  switch (m.role) {
    case Role::user:
      // LLaMA-Factory passes content first, then idx (the pair index).
      s = apply_formatter(tmpl.format_user, {{"space", space}, {"content", m.content}, {"idx", std::to_string(i / 2)}});
      break;
    case Role::assistant:
      s = apply_formatter(tmpl.format_assistant, {{"space", space}, {"content", m.content}});
      break;
    case Role::system:
      throw FormatError("template " + tmpl.name + ": message " + std::to_string(i) +
                        " is a system message; only the first message may be one");
  }
  elements.insert(elements.end(), s.begin(), s.end());
  return elements;
}

std::string eos_text(const ConversationTemplate& tmpl, const Tokenizer& tokenizer) {
  if (tmpl.replace_eos && !tmpl.stop_words.empty()) return tmpl.stop_words.front();
  if (tokenizer.special_tokens().eos) return *tokenizer.special_tokens().eos;
  return {};
}

}  // namespace

const ConversationTemplate& get_template(std::string_view name) {
  for (const auto& t : builtin_templates())
    if (t.name == name) return t;
  std::string names;
  for (const auto& n : template_names()) names += (names.empty() ? "" : ", ") + n;
  throw FormatError("unknown template \"" + std::string(name) + "\"; valid templates: " + names);
}

std::vector<std::string> template_names() {
  std::vector<std::string> out;
  for (const auto& t : builtin_templates()) out.push_back(t.name);
  std::sort(out.begin(), out.end());
  return out;
}

std::string default_template_for_model_type(std::string_view model_type) {
  if (model_type == "qwen2_vl" || model_type == "qwen2_5_vl") return "qwen2_vl";
  if (model_type == "llava") return "llava";
  if (model_type == "idefics3" || model_type == "smolvlm") return "smolvlm";
  return {};
}

TokenId template_eos_id(const ConversationTemplate& tmpl, const Tokenizer& tokenizer) {
  // Template.fix_special_tokens: with replace_eos the first stop word becomes the EOS token.
  if (tmpl.replace_eos && !tmpl.stop_words.empty()) return tokenizer.require_id(tmpl.stop_words.front());
  if (auto id = tokenizer.special_tokens().eos_id) return *id;
  throw FormatError("template " + tmpl.name + ": the tokenizer (" + tokenizer.source().string() +
                    ") has no EOS token");
}

PreparedMessages prepare_messages(const ConversationTemplate& tmpl, const ImageLayout& layout,
                                  const Conversation& conv, const LlamaFactoryImageParams& image_params) {
  check_image_markers(conv.messages, conv.images.size(), conv.label);
  if (!conv.images.empty()) {
    if (tmpl.image_plugin == ImagePlugin::none)
      throw FormatError(conv.label + ": template " + tmpl.name + " takes no images");
    if (layout.plugin != tmpl.image_plugin)
      throw FormatError(conv.label + ": template " + tmpl.name + " expands images for " +
                        std::string(image_plugin_name(tmpl.image_plugin)) + " models, but the model's images are " +
                        std::string(image_plugin_name(layout.plugin)));
  }
  PreparedMessages out;
  for (const ImageSize& size : conv.images)
    out.image_sizes.push_back(tmpl.llamafactory_image_resize
                                  ? llamafactory_image_size(size, image_params, tmpl.image_plugin)
                                  : size);
  size_t next_image = 0;
  for (const Message& m : conv.messages) {
    const size_t before = next_image;
    out.image_first.push_back(m.content.starts_with(kImageMarker));
    out.messages.push_back({m.role, expand_image_markers(m.content, layout, out.image_sizes, next_image, conv.label)});
    out.images_in_message.push_back(next_image - before);
  }
  for (size_t i = 0; i < out.image_sizes.size(); ++i)
    out.image_blocks.push_back(image_prompt_text(layout, out.image_sizes[i], conv.label + ": image " + std::to_string(i)));
  return out;
}

void check_alternating(std::span<const Message> messages, const std::string& label, bool end_with_assistant) {
  if (messages.empty()) throw FormatError(label + ": the conversation has no messages");
  for (size_t i = 0; i < messages.size(); ++i) {
    const Role want = i % 2 == 0 ? Role::user : Role::assistant;
    if (messages[i].role != want)
      throw FormatError(label + ": message " + std::to_string(i) + " is \"" + std::string(role_name(messages[i].role)) +
                        "\" where \"" + std::string(role_name(want)) +
                        "\" belongs (after an optional system message, messages alternate user/assistant, "
                        "starting with user)");
  }
  const Role last = messages.back().role;
  if (end_with_assistant && last != Role::assistant)
    throw FormatError(label + ": the last message should be the assistant's answer to learn");
  if (!end_with_assistant && last != Role::user)
    throw FormatError(label + ": the last message should be the user's, for the model to answer");
}

std::vector<std::vector<TokenId>> encode_messages(const ConversationTemplate& tmpl, const Tokenizer& tokenizer,
                                                  const PreparedMessages& prepared, std::string_view system) {
  std::vector<std::vector<TokenId>> out;
  out.reserve(prepared.messages.size());
  for (size_t i = 0; i < prepared.messages.size(); ++i)
    out.push_back(encode_message(tmpl, tokenizer, prepared.messages[i], i, prepared.image_first[i], system));
  return out;
}

std::vector<TokenId> encode_message(const ConversationTemplate& tmpl, const Tokenizer& tokenizer, const Message& message,
                                    size_t index, bool image_first, std::string_view system) {
  // Template._convert_elements_to_ids: each element on its own, no special tokens added.
  std::vector<TokenId> ids;
  for (const SlotElement& e : message_elements(tmpl, message, index, image_first, system)) {
    switch (e.kind) {
      case SlotElement::Kind::text:
        if (!e.text.empty()) {
          const auto piece = tokenizer.encode(e.text, /*add_special=*/false);
          ids.insert(ids.end(), piece.begin(), piece.end());
        }
        break;
      case SlotElement::Kind::bos_token:
        if (auto bos = tokenizer.special_tokens().bos_id) ids.push_back(*bos);
        break;
      case SlotElement::Kind::eos_token:
        ids.push_back(template_eos_id(tmpl, tokenizer));
        break;
      case SlotElement::Kind::token:
        ids.push_back(tokenizer.require_id(e.text));
        break;
    }
  }
  return ids;
}

std::vector<std::string> render_messages(const ConversationTemplate& tmpl, const Tokenizer& tokenizer,
                                         const PreparedMessages& prepared, std::string_view system) {
  std::vector<std::string> out;
  for (size_t i = 0; i < prepared.messages.size(); ++i) {
    std::string text;
    for (const SlotElement& e : message_elements(tmpl, prepared.messages[i], i, prepared.image_first[i], system)) {
      switch (e.kind) {
        case SlotElement::Kind::text:
        case SlotElement::Kind::token: text += e.text; break;
        case SlotElement::Kind::bos_token:
          if (tokenizer.special_tokens().bos_id) text += tokenizer.special_tokens().bos.value_or("");
          break;
        case SlotElement::Kind::eos_token: text += eos_text(tmpl, tokenizer); break;
      }
    }
    out.push_back(std::move(text));
  }
  return out;
}

}  // namespace vltune::text
