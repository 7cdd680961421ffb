#pragma once
// The demo project a new user's first run opens on: made on the spot, on any machine, with nothing
// downloaded. A small image-caption dataset of coloured shapes drawn here, and a tiny Qwen2-VL of
// random weights whose tokenizer is learned from that dataset's text, so that a LoRA run on a CPU
// takes about a minute and the adapted model names the shapes while the base model babbles.
// Everything is plain Hugging Face / LLaMA-Factory files: the same folders a user brings.
//
// <root>/data/dataset_info.json, data/shapes.json (sharegpt), data/images/*.png
// <root>/pairs/dataset_info.json, pairs/shape_pairs.json: the same drawings as preference pairs
//              (the right caption chosen, another colour's rejected), for DPO
// <root>/model/config.json, model.safetensors, tokenizer.json, tokenizer_config.json,
//              preprocessor_config.json, generation_config.json
// <root>/train.yaml   LLaMA-Factory keys; output_dir <root>/saves/demo-lora
// <root>/dpo.yaml     stage: dpo on the pairs (pref_ftx: 1.0); output_dir <root>/saves/demo-dpo
// <root>/DEMO.txt      what this folder is

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace vltune::demo {

struct DemoParams {
  int image_size = 112;        // pixels per side (112 = 8x8 patches of 14 = 16 image tokens)
  int variants = 2;            // drawings per shape and colour (size and position differ)
  int hidden_size = 128;       // the language model's width
  int layers = 2;              // decoder layers
  uint64_t seed = 7;           // weights and drawings
};

struct DemoProject {
  std::filesystem::path root;       // the project folder
  std::filesystem::path dataset;    // the dataset folder (dataset_info.json)
  std::filesystem::path model;      // the model folder
  std::filesystem::path train_yaml; // the training config
  std::filesystem::path output_dir; // where its run writes
  std::filesystem::path pairs_dataset;  // the preference dataset folder (dataset_info.json, ranking)
  std::filesystem::path dpo_yaml;   // the preference-tuning config (DPO on the shape pairs)
  std::filesystem::path dpo_output_dir;  // where that run writes
  int64_t samples = 0;              // rows in the dataset
};

// The shapes and colours the demo draws and names.
const std::vector<std::string>& demo_shapes();
const std::vector<std::string>& demo_colours();
// The answer the dataset gives for an image of `colour` `shape`: "A red circle."
std::string demo_caption(const std::string& colour, const std::string& shape);

// Makes the demo project in `root` (created), or reuses the one already there when complete (a
// part missing is made again; nothing else in `root` is touched). Each file is written
// atomically; the model folder appears whole or not at all. Throws FileError naming the path.
DemoProject make_demo_project(const std::filesystem::path& root, const DemoParams& params = {});

}  // namespace vltune::demo
