#include "core/cli/chat_command.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "core/cli/cli_numbers.h"
#include "core/data/sample_encoder.h"
#include "core/error.h"
#include "core/gen/chat_session.h"
#include "core/gen/compare.h"
#include "core/gen/generation_params.h"
#include "core/gen/generator.h"
#include "core/io/hf_config.h"
#include "core/lora/lora_factory.h"
#include "core/gen/chat_defaults.h"

namespace vltune::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kChatUsage =
    "usage: vltune-cli chat --model DIR [--adapter DIR ...] [--compare] [--image FILE ...] [\"question\"]\n"
    "                       [--system TEXT] [--template NAME] [--device auto|cpu|cuda[:N]] [--precision fp32|bf16|fp16]\n"
    "                       [--max-new-tokens N] [--greedy | --sample] [--temperature T] [--top-k K] [--top-p P]\n"
    "                       [--min-p P] [--repetition-penalty R] [--seed S] [--scale S] [--image-max-pixels N]\n"
    "  With a question: answers it (streamed) and exits. Without one: an interactive chat on stdin,\n"
    "  one message per line, earlier turns and their images kept; commands:\n"
    "    /image FILE   attach an image to the next message      /system TEXT  set the system prompt\n"
    "    /again        answer the last message again             /clear        start over\n"
    "    /quit         leave (also end of input)\n"
    "  --adapter DIR: a PEFT adapter on the model (repeat to compare several; without --compare the\n"
    "  last one answers). --compare: the base model and every adapter answer the same question on\n"
    "  one copy of the base weights, each column with its own history. --scale multiplies the\n"
    "  adapters' scaling (1: as trained). Sampling defaults come from generation_config.json.\n";

struct ChatOptions {
  fs::path model;
  std::vector<fs::path> adapters;
  bool compare = false;
  std::vector<fs::path> images;
  std::optional<std::string> question;
  std::string system;
  std::string template_name;
  std::string device = "auto";
  std::string precision = "fp32";
  double scale = 1.0;
  int64_t image_max_pixels = 0;
  // Overrides of generation_config.json.
  std::optional<int64_t> max_new_tokens, top_k;
  std::optional<bool> do_sample;
  std::optional<double> temperature, top_p, min_p, repetition_penalty;
  std::optional<uint64_t> seed;
};

double number(const std::string& flag, const std::string& v) {
  if (const auto d = whole_double(v)) return *d;
  throw Error(flag + " takes a number, got \"" + v + "\"");
}

int64_t integer(const std::string& flag, const std::string& v) {
  const double d = number(flag, v);
  if (d != static_cast<double>(static_cast<int64_t>(d))) throw Error(flag + " takes a whole number, got \"" + v + "\"");
  return static_cast<int64_t>(d);
}

ChatOptions parse(const std::vector<std::string>& args) {
  ChatOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw Error(a + " needs a value");
      return args[++i];
    };
    if (a == "--model") o.model = value();
    else if (a == "--adapter") o.adapters.emplace_back(value());
    else if (a == "--compare") o.compare = true;
    else if (a == "--image") o.images.emplace_back(value());
    else if (a == "--system") o.system = value();
    else if (a == "--template") o.template_name = value();
    else if (a == "--device") o.device = value();
    else if (a == "--precision") o.precision = value();
    else if (a == "--scale") o.scale = number(a, value());
    else if (a == "--image-max-pixels") o.image_max_pixels = integer(a, value());
    else if (a == "--max-new-tokens") o.max_new_tokens = integer(a, value());
    else if (a == "--greedy") o.do_sample = false;
    else if (a == "--sample") o.do_sample = true;
    else if (a == "--temperature") o.temperature = number(a, value());
    else if (a == "--top-k") o.top_k = integer(a, value());
    else if (a == "--top-p") o.top_p = number(a, value());
    else if (a == "--min-p") o.min_p = number(a, value());
    else if (a == "--repetition-penalty") o.repetition_penalty = number(a, value());
    else if (a == "--seed") o.seed = static_cast<uint64_t>(integer(a, value()));
    else if (a.rfind("--", 0) == 0) throw Error("unknown option " + a);
    else if (o.question) throw Error("one question at a time (quote it): \"" + a + "\"");
    else o.question = a;
  }
  if (o.model.empty()) throw Error("--model DIR is required");
  if (o.compare && o.adapters.empty()) throw Error("--compare needs at least one --adapter to compare with the base model");
  return o;
}

// One column of the conversation: what answers, and its own history.
struct Column {
  gen::CompareColumn spec;
  gen::ChatSession chat;
};

class ChatRunner {
 public:
  ChatRunner(const ChatOptions& o, lora::LoraModel& model, const data::SampleEncoder& encoder, gen::GenerationParams params)
      : m_model(model), m_encoder(encoder), m_params(std::move(params)) {
    std::vector<std::string> names;
    for (const auto& dir : o.adapters) {
      names.push_back(gen::adapter_name_for(dir, names));
      model.load_adapter(dir, names.back());
    }
    if (o.compare || o.adapters.empty()) m_columns.push_back({{"base", {}, 1.0}, gen::ChatSession(o.system)});
    if (o.compare)
      for (const auto& n : names) m_columns.push_back({{n, {n}, o.scale}, gen::ChatSession(o.system)});
    else if (!names.empty())
      m_columns.push_back({{names.back(), {names.back()}, o.scale}, gen::ChatSession(o.system)});
  }

  size_t columns() const { return m_columns.size(); }

  void ask(const std::string& text, const std::vector<fs::path>& images) {
    for (auto& c : m_columns) c.chat.add_user(text, images);
    answer();
  }
  void again() {
    for (auto& c : m_columns) c.chat.drop_answer();
    answer();
  }
  void set_system(const std::string& s) {
    for (auto& c : m_columns) c.chat.set_system(s);
  }
  void clear() {
    for (auto& c : m_columns) c.chat.clear();
  }
  bool has_answer() const { return !m_columns.empty() && m_columns[0].chat.turns() > 0 && !m_columns[0].chat.awaiting_answer(); }

 private:
  void answer() {
    std::vector<gen::CompareColumn> specs;
    std::vector<data::Batch> prompts;
    for (const auto& c : m_columns) {
      specs.push_back(c.spec);
      prompts.push_back(c.chat.prompt(m_encoder));
    }
    const bool one = m_columns.size() == 1;
    // One column streams as it comes; several interleave, so each prints whole when done.
    gen::ColumnTokenCallback stream;
    if (one)
      stream = [](size_t, const gen::TokenEvent& e) {
        std::fputs(e.text.c_str(), stdout);
        std::fflush(stdout);
      };
    const auto results = gen::generate_columns(m_model, specs, prompts, m_encoder.tokenizer(), m_params, stream);
    for (size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      if (!one) std::printf("── %s ──\n%s", m_columns[i].spec.label.c_str(), r.text.c_str());
      std::printf("\n");
      std::fprintf(stderr, "[%s: %zu tokens, %s, first token %.0f ms, %.1f tok/s%s]\n", m_columns[i].spec.label.c_str(),
                   r.token_ids.size(), gen::to_string(r.finish), r.prefill_seconds * 1000.0, r.tokens_per_second,
                   r.cuda_graph ? ", CUDA graph" : "");
      m_columns[i].chat.add_answer(r.text);
    }
    std::fflush(stdout);
  }

  lora::LoraModel& m_model;
  const data::SampleEncoder& m_encoder;
  gen::GenerationParams m_params;
  std::vector<Column> m_columns;
};

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

void interactive(ChatRunner& runner, std::vector<fs::path> images) {
  std::fprintf(stderr, "vltune: chat; /image FILE attaches an image, /again, /clear, /system TEXT, /quit\n");
  std::string line;
  while (true) {
    std::fputs("> ", stderr);
    if (!std::getline(std::cin, line)) break;
    line = trim(line);
    if (line.empty()) continue;
    try {
      if (line == "/quit" || line == "/exit") break;
      if (line.rfind("/image ", 0) == 0) {
        const fs::path file = trim(line.substr(7));
        std::error_code ec;
        if (!fs::is_regular_file(file, ec)) throw FileError("image \"" + file.string() + "\" does not exist");
        images.push_back(file);
        std::fprintf(stderr, "vltune: %zu image(s) for the next message\n", images.size());
      } else if (line.rfind("/system", 0) == 0) {
        runner.set_system(trim(line.substr(7)));
      } else if (line == "/clear") {
        runner.clear();
        images.clear();
      } else if (line == "/again") {
        if (!runner.has_answer()) throw Error("nothing to answer again yet");
        runner.again();
      } else if (line[0] == '/') {
        throw Error("unknown command " + line + " (/image FILE, /system TEXT, /again, /clear, /quit)");
      } else {
        runner.ask(line, images);
        images.clear();
      }
    } catch (const Error& e) {
      // A bad image or command costs that line, not the conversation.
      std::fprintf(stderr, "vltune-cli chat: %s\n", e.what());
    }
  }
}

}  // namespace

int run_chat(const std::vector<std::string>& args) {
  if (std::find(args.begin(), args.end(), "--help") != args.end() || std::find(args.begin(), args.end(), "-h") != args.end()) {
    std::fputs(kChatUsage, stdout);
    return 0;
  }
  ChatOptions o;
  try {
    o = parse(args);
  } catch (const Error& e) {
    std::fprintf(stderr, "vltune-cli chat: %s\n%s", e.what(), kChatUsage);
    return 2;
  }
  if (io::read_model_config(o.model).family() == io::ModelFamily::clip)
    throw Error(o.model.string() + " is a CLIP model: it has no text decoder to chat with (`vltune-cli retrieve` ranks captions and images)");

  data::EncoderParams enc;
  enc.template_name = o.template_name;
  if (o.image_max_pixels > 0) enc.supervised.image.image_max_pixels = o.image_max_pixels;
  const data::SampleEncoder encoder(o.model, enc);
  gen::GenerationParams params = gen::chat_generation_defaults(o.model, encoder);
  if (o.max_new_tokens) params.max_new_tokens = *o.max_new_tokens;
  if (o.do_sample) params.do_sample = *o.do_sample;
  if (o.temperature) params.temperature = *o.temperature;
  if (o.top_k) params.top_k = *o.top_k;
  if (o.top_p) params.top_p = *o.top_p;
  if (o.min_p) params.min_p = *o.min_p;
  if (o.repetition_penalty) params.repetition_penalty = *o.repetition_penalty;
  if (o.seed) params.seed = *o.seed;
  gen::validate(params);

  const lora::ModelPlacement placement = lora::resolve_placement(o.device, o.precision);
  auto model = lora::open_model(o.model, placement);
  ChatRunner runner(o, *model, encoder, params);
  std::fprintf(stderr, "vltune: %s on %s, %zu column(s)\n", o.model.string().c_str(), lora::to_string(placement).c_str(),
               runner.columns());
  if (o.question) {
    runner.ask(*o.question, o.images);
    return 0;
  }
  interactive(runner, o.images);
  return 0;
}

}  // namespace vltune::cli
