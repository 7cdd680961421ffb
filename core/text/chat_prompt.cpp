#include "core/text/chat_prompt.h"

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/io/aux_configs.h"
#include "core/io/json_file.h"

namespace vltune::text {

namespace fs = std::filesystem;

namespace {

// One item of a message's content list, as the HF templates iterate it.
struct Item {
  bool image = false;  // an image (else text)
  std::string text;    // the text of a text item
};

// The content list a message's text stands for: the text between markers and the images.
std::vector<Item> content_items(std::string_view content) {
  std::vector<Item> items;
  size_t from = 0;
  for (size_t at = content.find(kImageMarker); at != std::string_view::npos; at = content.find(kImageMarker, from)) {
    if (at > from) items.push_back({false, std::string(content.substr(from, at - from))});
    items.push_back({true, {}});
    from = at + kImageMarker.size();
  }
  if (from < content.size()) items.push_back({false, std::string(content.substr(from))});
  return items;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// Jinja's capitalize: first letter upper, the rest lower (role names are lower case already).
std::string capitalize(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

std::optional<std::string> read_text_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string_view chat_format_name(ChatFormat format) {
  switch (format) {
    case ChatFormat::qwen2_vl: return "qwen2_vl";
    case ChatFormat::llava: return "llava";
    case ChatFormat::smolvlm: return "smolvlm";
  }
  return "?";
}

std::optional<ChatFormat> recognise_chat_template(std::string_view jinja) {
  auto has = [&](std::string_view piece) { return jinja.find(piece) != std::string_view::npos; };
  if (has("<|im_start|>") && has("<|vision_start|><|image_pad|><|vision_end|>")) return ChatFormat::qwen2_vl;
  if (has("<end_of_utterance>") && has("Assistant:") && has("capitalize")) return ChatFormat::smolvlm;
  if (has("ASSISTANT:") && has(".upper()") && has("<image>")) return ChatFormat::llava;
  return std::nullopt;
}

std::optional<ChatFormat> chat_format_for_model_type(std::string_view model_type) {
  if (model_type == "qwen2_vl" || model_type == "qwen2_5_vl") return ChatFormat::qwen2_vl;
  if (model_type == "llava") return ChatFormat::llava;
  if (model_type == "idefics3" || model_type == "smolvlm") return ChatFormat::smolvlm;
  return std::nullopt;
}

std::string render_chat_template(ChatFormat format, std::span<const Message> messages, std::string_view system,
                                 bool add_generation_prompt, std::span<const std::string> expanded_images) {
  std::vector<Message> all;
  if (!system.empty()) all.push_back({Role::system, std::string(system)});
  all.insert(all.end(), messages.begin(), messages.end());

  size_t image = 0;
  // The text an image item becomes: the template's placeholder, or the processor's expansion.
  auto image_text = [&](std::string_view placeholder) {
    std::string t = image < expanded_images.size() ? expanded_images[image] : std::string(placeholder);
    ++image;
    return t;
  };

  std::string out;
  switch (format) {
    case ChatFormat::qwen2_vl:
      for (size_t i = 0; i < all.size(); ++i) {
        if (i == 0 && all[i].role != Role::system) out += "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n";
        out += "<|im_start|>" + std::string(role_name(all[i].role)) + "\n";
        for (const Item& item : content_items(all[i].content))
          out += item.image ? image_text("<|vision_start|><|image_pad|><|vision_end|>") : item.text;
        out += "<|im_end|>\n";
      }
      if (add_generation_prompt) out += "<|im_start|>assistant\n";
      break;
    case ChatFormat::llava:
      for (const Message& m : all) {
        if (m.role != Role::system) out += upper(role_name(m.role)) + ": ";
        const auto items = content_items(m.content);
        for (const Item& item : items)  // all images first
          if (item.image) out += image_text("<image>") + "\n";
        for (const Item& item : items)  // then every text, each followed by a space
          if (!item.image) out += item.text + " ";
      }
      if (add_generation_prompt) out += "ASSISTANT:";
      break;
    case ChatFormat::smolvlm:
      out += "<|im_start|>";
      for (const Message& m : all) {
        const auto items = content_items(m.content);
        out += capitalize(role_name(m.role)) + (!items.empty() && items.front().image ? ":" : ": ");
        for (const Item& item : items) out += item.image ? image_text("<image>") : item.text;
        out += "<end_of_utterance>\n";
      }
      if (add_generation_prompt) out += "Assistant:";
      break;
  }
  return out;
}

ChatTemplateChoice choose_chat_template(const fs::path& model_path) {
  const fs::path folder = fs::is_directory(model_path) ? model_path : model_path.parent_path();
  ChatTemplateChoice choice;

  std::optional<std::string> jinja;
  fs::path source;
  if (auto text = read_text_file(folder / "chat_template.jinja")) {
    jinja = std::move(text);
    source = folder / "chat_template.jinja";
  } else if (fs::exists(folder / "chat_template.json")) {
    source = folder / "chat_template.json";
    const io::Json j = io::read_json_file(source);
    if (auto t = io::get_optional<std::string>(j, "chat_template", source.string())) jinja = std::move(*t);
  } else if (fs::exists(folder / "tokenizer_config.json")) {
    source = folder / "tokenizer_config.json";
    const io::TokenizerConfig config = io::read_tokenizer_config(source);
    if (const auto* t = config.chat_template()) jinja = t->source;
  }

  std::string model_type;
  if (fs::exists(folder / "config.json"))
    model_type = io::get_or<std::string>(io::read_json_file(folder / "config.json"), "model_type", "",
                                         (folder / "config.json").string());

  if (jinja) {
    if (auto format = recognise_chat_template(*jinja)) {
      choice.format = format;
      choice.notes.push_back("chat template: the checkpoint's own (" + source.string() + "), the published " +
                             std::string(chat_format_name(*format)) + " template");
      return choice;
    }
    if (auto format = chat_format_for_model_type(model_type)) {
      choice.format = format;
      choice.notes.push_back("chat template: the checkpoint's chat_template (" + source.string() +
                             ") is not one vltune reproduces; using the published " +
                             std::string(chat_format_name(*format)) + " template for model_type \"" + model_type + "\"");
      return choice;
    }
    throw FormatError(source.string() + ": chat_template is not one vltune reproduces (qwen2_vl, llava, smolvlm) and " +
                      (model_type.empty() ? std::string("there is no config.json model_type")
                                          : "model_type \"" + model_type + "\" has no published template") +
                      " to fall back on");
  }
  choice.llamafactory_template = default_template_for_model_type(model_type);
  if (choice.llamafactory_template.empty())
    throw FormatError(folder.string() + ": no chat template (chat_template.jinja, chat_template.json, "
                      "tokenizer_config.json) and " +
                      (model_type.empty() ? std::string("no config.json model_type")
                                          : "model_type \"" + model_type + "\" has no LLaMA-Factory template"));
  choice.notes.push_back("chat template: the checkpoint has none; using LLaMA-Factory's " +
                         choice.llamafactory_template + " template");
  return choice;
}

ChatPrompt build_chat_prompt(const ChatTemplateChoice& choice, const Tokenizer& tokenizer, const ImageLayout& layout,
                             const Conversation& conv_in, const LlamaFactoryImageParams& image_params) {
  check_alternating(conv_in.messages, conv_in.label, /*end_with_assistant=*/false);
  Conversation conv = conv_in;
  ChatPrompt out;
  out.notes = choice.notes;
  size_t markers = 0;
  for (const Message& m : conv.messages) markers += count_markers(m.content);
  if (!conv.images.empty() && markers == 0) {
    std::string prefix;
    for (size_t i = 0; i < conv.images.size(); ++i) prefix += kImageMarker;
    conv.messages.front().content = prefix + conv.messages.front().content;
    out.notes.push_back("the images had no <image> markers; they go before the first message's text");
  }

  if (choice.format) {
    check_image_markers(conv.messages, conv.images.size(), conv.label);
    const ImagePlugin want = *choice.format == ChatFormat::qwen2_vl ? ImagePlugin::qwen2_vl
                             : *choice.format == ChatFormat::llava  ? ImagePlugin::llava
                                                                    : ImagePlugin::idefics3;
    std::vector<std::string> expanded;
    if (!conv.images.empty() && layout.plugin != want)
      throw FormatError(conv.label + ": the " + std::string(chat_format_name(*choice.format)) +
                        " chat template needs " + std::string(image_plugin_name(want)) + " image expansion, the model has " +
                        std::string(image_plugin_name(layout.plugin)));
    for (size_t i = 0; i < conv.images.size(); ++i)
      expanded.push_back(image_prompt_text(layout, conv.images[i], conv.label + ": image " + std::to_string(i)));
    out.text = render_chat_template(*choice.format, conv.messages, conv.system, /*add_generation_prompt=*/true, expanded);
    // The processor's tokenizer call adds special tokens, unless the text already starts with BOS
    // (ProcessorMixin.apply_chat_template turns add_special_tokens off then; SmolVLM's template
    // writes its BOS itself).
    const auto& bos = tokenizer.special_tokens().bos;
    const bool has_bos = bos && !bos->empty() && out.text.starts_with(*bos);
    out.input_ids = tokenizer.encode(out.text, /*add_special=*/!has_bos);
    return out;
  }

  // LLaMA-Factory's chat: an empty assistant turn closes the pair; its prompt half is the prompt.
  const ConversationTemplate& tmpl = get_template(choice.llamafactory_template);
  conv.messages.push_back({Role::assistant, ""});
  const PreparedMessages prepared = prepare_messages(tmpl, layout, conv, image_params);
  const auto ids = encode_messages(tmpl, tokenizer, prepared, conv.system);
  const auto texts = render_messages(tmpl, tokenizer, prepared, conv.system);
  for (size_t i = 0; i + 1 < ids.size(); ++i) {
    out.input_ids.insert(out.input_ids.end(), ids[i].begin(), ids[i].end());
    out.text += texts[i];
  }
  return out;
}

}  // namespace vltune::text
