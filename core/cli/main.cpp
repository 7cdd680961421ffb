// vltune-cli: the headless front end over the engine. Each subcommand lives in its own file;
// errors thrown by the engine are reported here, once, with the message that names the problem.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "core/cli/chat_command.h"
#include "core/cli/inspect_command.h"
#include "core/cli/train_command.h"
#include "core/cli/parity_command.h"
#include "core/cli/predict_command.h"
#include "core/cli/retrieve_command.h"
#include "core/cli/demo_command.h"
#include "core/cli/image_cache_command.h"
#include "core/cli/tokenize_command.h"
#include "core/error.h"
#include "core/runtime_info.h"

namespace {

constexpr const char* kUsage =
    "usage: vltune-cli <command> [options]\n"
    "commands:\n"
    "  inspect <checkpoint>   summarise a Hugging Face checkpoint or PEFT adapter\n"
    "  inspect <dataset>      detect a dataset's format, check every row, print statistics (JSON)\n"
    "  parity <fixture dir> [--device cuda] [--dtype bfloat16]\n"
    "                         compare the engine with transformers' reference outputs\n"
    "  tokenize --tokenizer <file|folder> [--template NAME]\n"
    "                         token ids of stdin's text, or ids and labels of a conversation\n"
    "  train <config.yaml>    LoRA fine-tuning from a LLaMA-Factory-style YAML, with a progress line\n"
    "  chat --model DIR [--adapter DIR] [--compare] [--image FILE] [\"question\"]\n"
    "                         answer a question about images, or chat interactively; --compare\n"
    "                         puts the base model and the adapters side by side\n"
    "  predict <config.yaml>  answer and score an eval dataset (LLaMA-Factory's do_predict), writes its files\n"
    "  export --model DIR --adapter DIR --out DIR\n"
    "                         merge an adapter into its base model, as a Hugging Face checkpoint\n"
    "  retrieve --model DIR [--adapter DIR] --image FILE \"caption\" ... | --caption TEXT --images DIR | --dataset PATH\n"
    "                         CLIP: score captions, rank images, or recall@k; base and adapted\n"
    "  image-cache [--dir DIR] [--clear]\n"
    "                         how much the training image cache holds; --clear empties it\n"
    "  demo <folder>          make the demo project there: a shapes dataset, a tiny model, train.yaml\n"
    "  version                print the vltune and LibTorch versions and CUDA availability\n"
    "run 'vltune-cli <command> --help' for a command's options\n";

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string& command = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (command == "version" || command == "--version") {
      std::printf("%s\n", vltune::describe(vltune::runtime_info()).c_str());
      return 0;
    }
    if (command == "inspect") return vltune::cli::run_inspect(rest);
    if (command == "parity") return vltune::cli::run_parity(rest);
    if (command == "tokenize") return vltune::cli::run_tokenize(rest);
    if (command == "train") return vltune::cli::run_train(rest);
    if (command == "export") return vltune::cli::run_export(rest);
    if (command == "predict") return vltune::cli::run_predict(rest);
    if (command == "retrieve") return vltune::cli::run_retrieve(rest);
    if (command == "chat") return vltune::cli::run_chat(rest);
    if (command == "demo") return vltune::cli::run_demo(rest);
    if (command == "image-cache") return vltune::cli::run_image_cache(rest);
  } catch (const vltune::Error& e) {
    std::fprintf(stderr, "vltune-cli %s: %s\n", command.c_str(), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vltune-cli %s: internal error: %s\n", command.c_str(), e.what());
    return 3;
  }
  std::fprintf(stderr, "vltune-cli: unknown command '%s'\n%s", command.c_str(), kUsage);
  return 2;
}
