#include "core/cli/tokenize_command.h"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <span>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/image_header.h"
#include "core/io/json_file.h"
#include "core/text/chat_prompt.h"
#include "core/text/supervised_encoding.h"
#include "core/text/tokenizer.h"
#include "core/vision/image_io.h"

namespace vltune::cli {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

constexpr const char* kUsage =
    "usage: vltune-cli tokenize --tokenizer <tokenizer.json | tokenizer.model | model folder> [--special]\n"
    "       vltune-cli tokenize --tokenizer <...> --template NAME [--model DIR] [--image-size WxH]...\n"
    "                           [--cutoff-len N] [--train-on-prompt] [--mask-history]\n"
    "       vltune-cli tokenize --tokenizer <...> --chat [--template NAME] [--model DIR] [--image-size WxH]...\n"
    "  Reads UTF-8 text from stdin and prints its token ids as a JSON array.\n"
    "  --special          add the tokenizer's special tokens (BOS, ...) as the post-processor does\n"
    "  --template NAME    stdin is a conversation in JSON, encoded for training with the LLaMA-Factory\n"
    "                     template NAME (qwen2_vl, llava, smolvlm); prints\n"
    "                     {\"input_ids\": [...], \"labels\": [...], \"notes\": [...]} (labels -100 where no loss)\n"
    "  --chat             stdin is a conversation ending with the user's message; prints the generation\n"
    "                     prompt {\"text\", \"input_ids\", \"notes\"} made with the checkpoint's own chat template\n"
    "                     (or --template's, or LLaMA-Factory's when the checkpoint has none)\n"
    "  --model DIR        the model folder (config.json, preprocessor_config.json) whose image processing\n"
    "                     sets each image's token count; default: --tokenizer when it is a folder\n"
    "  --image-size WxH   the size of the next image, for conversations that do not list their images\n"
    "  --cutoff-len N     longest sample in tokens (default 2048)\n"
    "  --train-on-prompt  learn the prompt tokens too\n"
    "  --mask-history     learn only the last turn\n"
    "Conversation JSON, one of:\n"
    "  [{\"role\": \"user\", \"content\": \"<image>What is this?\"}, {\"role\": \"assistant\", \"content\": \"A cat.\"}]\n"
    "  {\"messages\": [...], \"images\": [{\"width\": 640, \"height\": 480}, \"photo.png\"], \"system\": \"...\"}\n"
    "  (LLaMA-Factory sharegpt: roles system/user/assistant or human/gpt, keys role/content or from/value;\n"
    "  each <image> in the text stands for the next image; image paths are read for their size only,\n"
    "  relative to the current directory)\n";

text::ImageSize parse_image_size(const std::string& text) {
  const size_t x = text.find('x');
  text::ImageSize size;
  auto number = [&](std::string_view s, int64_t& out) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() && out > 0;
  };
  if (x == std::string::npos || !number(std::string_view(text).substr(0, x), size.width) ||
      !number(std::string_view(text).substr(x + 1), size.height))
    throw Error("--image-size \"" + text + "\" is not WIDTHxHEIGHT (e.g. 640x480)");
  return size;
}

int64_t parse_count(const std::string& option, const std::string& text) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v <= 0)
    throw Error(option + " \"" + text + "\" is not a positive integer");
  return v;
}

std::string read_stdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

}  // namespace

int run_tokenize(const std::vector<std::string>& args) {
  std::optional<fs::path> tokenizer_path, model_dir;
  std::optional<std::string> template_name;
  bool special = false, chat = false;
  std::vector<text::ImageSize> image_sizes;
  text::SupervisedParams params;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw Error(a + " needs a value\n" + kUsage);
      return args[++i];
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--tokenizer") tokenizer_path = value();
    else if (a == "--special") special = true;
    else if (a == "--template") template_name = value();
    else if (a == "--chat") chat = true;
    else if (a == "--model") model_dir = value();
    else if (a == "--image-size") image_sizes.push_back(parse_image_size(value()));
    else if (a == "--cutoff-len") params.cutoff_len = parse_count(a, value());
    else if (a == "--train-on-prompt") params.train_on_prompt = true;
    else if (a == "--mask-history") params.mask_history = true;
    else {
      std::fprintf(stderr, "vltune-cli tokenize: unknown argument %s\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (!tokenizer_path) {
    std::fprintf(stderr, "vltune-cli tokenize: --tokenizer is required\n%s", kUsage);
    return 2;
  }
  if (template_name) text::get_template(*template_name);  // an unknown name fails before reading stdin
  const auto tokenizer = text::load_tokenizer(*tokenizer_path);
  const std::string input = read_stdin();

  if (!template_name && !chat) {
    std::printf("%s\n", ordered_json(tokenizer->encode(input, special)).dump().c_str());
    return 0;
  }

  text::Conversation conv = text::parse_conversation_json(
      io::parse_json(input, "stdin"), "stdin", [](const std::string& path) {
        const io::ImageDimensions d = io::read_image_dimensions(path);
        // EXIF orientations 5-8 turn the picture a quarter: the processor sees it transposed.
        std::ifstream in(path, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const int orientation = vision::read_exif_orientation(
            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
        if (orientation >= 5 && orientation <= 8) return text::ImageSize{d.height, d.width};
        return text::ImageSize{d.width, d.height};
      });
  if (!image_sizes.empty()) {
    if (!conv.images.empty()) throw Error("stdin lists its images; --image-size is for conversations that do not");
    conv.images = image_sizes;
  }
  if (!model_dir && fs::is_directory(*tokenizer_path)) model_dir = *tokenizer_path;
  text::ImageLayout layout;
  if (!conv.images.empty()) {
    if (!model_dir)
      throw Error("the conversation has images: their token counts need the model folder "
                  "(config.json, preprocessor_config.json); pass --model DIR");
    layout = text::load_image_layout(*model_dir);
  }

  ordered_json out;
  if (chat) {
    text::ChatTemplateChoice choice;
    if (template_name) {
      choice.llamafactory_template = *template_name;
      choice.notes.push_back("chat template: LLaMA-Factory's " + *template_name + " (--template)");
    } else {
      if (!model_dir) throw Error("--chat needs the model folder (its chat template): pass --model DIR or --template");
      choice = text::choose_chat_template(*model_dir);
    }
    const text::ChatPrompt prompt = text::build_chat_prompt(choice, *tokenizer, layout, conv, params.image);
    out["text"] = prompt.text;
    out["input_ids"] = prompt.input_ids;
    out["notes"] = prompt.notes;
  } else {
    const text::EncodedSample sample =
        text::encode_supervised(text::get_template(*template_name), *tokenizer, layout, conv, params);
    out["input_ids"] = sample.input_ids;
    out["labels"] = sample.labels;
    out["notes"] = sample.notes;
  }
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace vltune::cli
