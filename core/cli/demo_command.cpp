#include "core/cli/demo_command.h"

#include <cstdio>

#include "core/demo/demo_project.h"

namespace vltune::cli {

namespace {

constexpr const char* kDemoUsage =
    "usage: vltune-cli demo <folder>\n"
    "  Makes the demo project in <folder>: coloured shapes with captions (data/), a tiny Qwen2-VL\n"
    "  with random weights and a tokenizer learned from the captions (model/), and train.yaml for\n"
    "  a LoRA run of about a minute on a CPU. A project already there is reused.\n";

}  // namespace

int run_demo(const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0].empty() || args[0][0] == '-') {
    const bool help = args.size() == 1 && (args[0] == "-h" || args[0] == "--help");
    std::fputs(kDemoUsage, help ? stdout : stderr);
    return help ? 0 : 2;
  }
  const demo::DemoProject p = demo::make_demo_project(args[0]);
  std::printf("demo project in %s: %lld samples in %s, model in %s\n", p.root.c_str(), static_cast<long long>(p.samples),
              p.dataset.c_str(), p.model.c_str());
  std::printf("train:   vltune-cli train %s\n", p.train_yaml.c_str());
  std::printf("dpo:     vltune-cli train %s\n", p.dpo_yaml.c_str());
  std::printf("compare: vltune-cli chat --compare --model %s --adapter %s --image %s \"What is in the picture?\"\n",
              p.model.c_str(), p.output_dir.c_str(), (p.dataset / "images/red_circle_0.png").c_str());
  return 0;
}

}  // namespace vltune::cli
