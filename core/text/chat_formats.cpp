// The templates' data. qwen2_vl and llava are LLaMA-Factory's register_template calls
// (src/llamafactory/data/template.py) with register_template's defaults filled in: format_system
// defaults to ["{{content}}"], format_assistant to ["{{content}}", {"eos_token"}], format_prefix
// to []. smolvlm is not in LLaMA-Factory; it is SmolVLM's chat_template.json
// ("<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}{% if
// message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}...
// <end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}")
// cut at the generation prompt the way LLaMA-Factory cuts its templates: the prompt ends with
// "Assistant:", the response is " answer<end_of_utterance>\n".

#include "core/text/chat_formats.h"

namespace vltune::text {

namespace {

SlotElement text(std::string s) { return {SlotElement::Kind::text, std::move(s)}; }
SlotElement eos() { return {SlotElement::Kind::eos_token, {}}; }

ConversationTemplate qwen2_vl() {
  ConversationTemplate t;
  t.name = "qwen2_vl";
  t.format_user = {text("<|im_start|>user\n{{content}}<|im_end|>\n<|im_start|>assistant\n")};
  t.format_assistant = {text("{{content}}<|im_end|>\n")};
  t.format_system = {text("<|im_start|>system\n{{content}}<|im_end|>\n")};
  t.default_system = "You are a helpful assistant.";
  t.stop_words = {"<|im_end|>"};
  t.replace_eos = true;
  t.image_plugin = ImagePlugin::qwen2_vl;
  t.llamafactory_image_resize = true;
  return t;
}

ConversationTemplate llava() {
  ConversationTemplate t;
  t.name = "llava";
  t.format_user = {text("USER: {{content}} ASSISTANT:")};
  t.format_assistant = {text("{{content}}"), eos()};
  t.format_system = {text("{{content}}")};
  t.default_system =
      "A chat between a curious user and an artificial intelligence assistant. "
      "The assistant gives helpful, detailed, and polite answers to the user's questions.";
  t.image_plugin = ImagePlugin::llava;
  t.llamafactory_image_resize = true;
  return t;
}

ConversationTemplate smolvlm() {
  ConversationTemplate t;
  t.name = "smolvlm";
  t.format_prefix = {text("<|im_start|>")};
  t.format_user = {text("User:{{space}}{{content}}<end_of_utterance>\nAssistant:")};
  t.format_assistant = {text("{{space}}{{content}}<end_of_utterance>\n")};
  t.format_system = {text("System: {{content}}<end_of_utterance>\n")};
  t.stop_words = {"<end_of_utterance>"};
  t.replace_eos = true;
  t.image_plugin = ImagePlugin::idefics3;
  t.space_unless_image_first = true;
  return t;
}

}  // namespace

const std::vector<ConversationTemplate>& builtin_templates() {
  static const std::vector<ConversationTemplate> templates = {llava(), qwen2_vl(), smolvlm()};
  return templates;
}

}  // namespace vltune::text
