#include "core/demo/demo_project.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <random>

#include <nlohmann/json.hpp>

#include "core/demo/bpe_trainer.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/hf_config.h"
#include "core/io/json_file.h"
#include "core/io/png_writer.h"
#include "core/io/safetensors_writer.h"
#include "core/models/family_layout.h"
#include "core/models/qwen_vl.h"

namespace vltune::demo {

namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;

namespace {

struct Rgb {
  uint8_t r, g, b;
};

const std::vector<Rgb>& colour_values() {
  static const std::vector<Rgb> v = {{220, 40, 40}, {40, 170, 60}, {40, 80, 220}, {235, 200, 30}, {150, 60, 190}};
  return v;
}

const std::vector<std::string>& questions() {
  static const std::vector<std::string> q = {"What is in the picture?", "Describe the image.", "What do you see?",
                                             "Name the shape and its colour."};
  return q;
}

// A shape of `colour` on a light background: centre (cx, cy), half-size r, in pixels.
std::vector<uint8_t> draw(const std::string& shape, Rgb colour, int size, double cx, double cy, double r) {
  std::vector<uint8_t> rgb(static_cast<size_t>(size) * size * 3, 245);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      bool in = false;
      if (shape == "circle") in = dx * dx + dy * dy <= r * r;
      else if (shape == "square") in = std::abs(dx) <= r && std::abs(dy) <= r;
      else if (shape == "triangle") in = dy <= r && dy >= -r && std::abs(dx) <= (dy + r) / 2;
      else if (shape == "cross") in = (std::abs(dx) <= r / 3 && std::abs(dy) <= r) || (std::abs(dy) <= r / 3 && std::abs(dx) <= r);
      if (!in) continue;
      uint8_t* p = &rgb[(static_cast<size_t>(y) * size + x) * 3];
      p[0] = colour.r;
      p[1] = colour.g;
      p[2] = colour.b;
    }
  return rgb;
}

// The special tokens, in Qwen2-VL's order, after the learned vocabulary.
const std::vector<std::string>& special_tokens() {
  static const std::vector<std::string> s = {"<|image_pad|>", "<|vision_start|>", "<|vision_end|>", "<|video_pad|>",
                                             "<|endoftext|>", "<|im_start|>",     "<|im_end|>"};
  return s;
}

int64_t special_id(const BpeVocabulary& v, const std::string& token) {
  const auto& s = special_tokens();
  return static_cast<int64_t>(v.tokens.size() + (std::find(s.begin(), s.end(), token) - s.begin()));
}

// tokenizer.json in the `tokenizers` layout of Qwen2-VL (NFC, its split regex, byte-level BPE).
ordered_json tokenizer_json(const BpeVocabulary& v) {
  ordered_json added = ordered_json::array();
  for (const auto& token : special_tokens())
    added.push_back({{"id", special_id(v, token)}, {"content", token}, {"single_word", false}, {"lstrip", false},
                     {"rstrip", false}, {"normalized", false}, {"special", true}});
  ordered_json vocab = ordered_json::object();
  for (size_t i = 0; i < v.tokens.size(); ++i) vocab[v.tokens[i]] = i;
  ordered_json merges = ordered_json::array();
  for (const auto& [a, b] : v.merges) merges.push_back({a, b});
  return {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", {{"type", "NFC"}}},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"},
           {"pattern",
            {{"Regex",
              "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}}},
           {"behavior", "Isolated"},
           {"invert", false}},
          {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}}}}},
      {"post_processor",
       {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}}},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", merges}}},
  };
}

ordered_json model_config(const BpeVocabulary& v, const DemoParams& p) {
  const int64_t vocab = static_cast<int64_t>(v.tokens.size() + special_tokens().size());
  const int64_t vocab_size = (vocab + 63) / 64 * 64;  // rounded up, as real checkpoints pad it
  return {
      {"architectures", {"Qwen2VLForConditionalGeneration"}},
      {"model_type", "qwen2_vl"},
      {"dtype", "float32"},
      {"image_token_id", special_id(v, "<|image_pad|>")},
      {"video_token_id", special_id(v, "<|video_pad|>")},
      {"vision_start_token_id", special_id(v, "<|vision_start|>")},
      {"vision_end_token_id", special_id(v, "<|vision_end|>")},
      {"tie_word_embeddings", false},
      {"text_config",
       {{"model_type", "qwen2_vl_text"},
        {"vocab_size", vocab_size},
        {"hidden_size", p.hidden_size},
        {"intermediate_size", p.hidden_size * 2},
        {"num_hidden_layers", p.layers},
        {"num_attention_heads", 4},
        {"num_key_value_heads", 2},
        {"hidden_act", "silu"},
        {"max_position_embeddings", 4096},
        {"rms_norm_eps", 1e-6},
        {"rope_theta", 1000000.0},
        {"rope_scaling", {{"type", "mrope"}, {"mrope_section", {4, 6, 6}}}},
        {"attention_dropout", 0.0},
        {"bos_token_id", special_id(v, "<|endoftext|>")},
        {"eos_token_id", special_id(v, "<|im_end|>")},
        {"tie_word_embeddings", false},
        {"use_cache", true}}},
      {"vision_config",
       {{"model_type", "qwen2_vl_vision"},
        {"depth", 2},
        {"embed_dim", 64},
        {"hidden_size", p.hidden_size},
        {"hidden_act", "quick_gelu"},
        {"mlp_ratio", 2},
        {"num_heads", 2},
        {"in_channels", 3},
        {"patch_size", 14},
        {"spatial_merge_size", 2},
        {"temporal_patch_size", 2}}},
  };
}

ordered_json preprocessor_config(const DemoParams& p) {
  const int64_t pixels = static_cast<int64_t>(p.image_size) * p.image_size;
  return {{"image_processor_type", "Qwen2VLImageProcessor"},
          {"do_convert_rgb", true},
          {"do_normalize", true},
          {"do_rescale", true},
          {"do_resize", true},
          {"image_mean", {0.48145466, 0.4578275, 0.40821073}},
          {"image_std", {0.26862954, 0.26130258, 0.27577711}},
          {"merge_size", 2},
          {"patch_size", 14},
          {"temporal_patch_size", 2},
          {"resample", 3},
          {"rescale_factor", 1.0 / 255},
          {"size", {{"longest_edge", pixels}, {"shortest_edge", 56 * 56}}}};
}

void write_json(const fs::path& path, const ordered_json& j) { io::write_file_atomic(path, j.dump(2) + "\n"); }

// Random weights as transformers initialises them (normal(0, 0.02) matrices, zero biases, unit
// norms), under the checkpoint's names, except lm_head: after the final RMSNorm a logit is at most
// |lm_head row| * sqrt(hidden), which at 0.02 caps it near 2.5, too flat for any answer to become
// likely. At `kLmHeadStd` a LoRA run can make the right caption near certain.
constexpr double kLmHeadStd = 0.15;

void write_random_weights(const fs::path& model_dir, uint64_t seed) {
  const io::ModelConfig config = io::read_model_config(model_dir);
  torch::manual_seed(seed);
  models::QwenVL model(config);
  torch::NoGradGuard no_grad;
  io::NamedTensors tensors;
  const auto& layout = models::family_layout(io::ModelFamily::qwen2_vl);
  for (const auto& item : model->named_parameters(/*recurse=*/true)) {
    torch::Tensor t = item.value();
    const std::string& name = item.key();
    const bool norm = name.find("norm") != std::string::npos || name.find("ln_q") != std::string::npos;
    if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0) t.zero_();
    else if (norm && t.dim() == 1) t.fill_(1.0);
    else t.normal_(0.0, 0.02);
    std::string hf_name = models::checkpoint_name(layout, name);
    if (hf_name == "lm_head.weight") t.normal_(0.0, kLmHeadStd);
    tensors.emplace_back(std::move(hf_name), t.detach().clone());
  }
  io::save_safetensors(model_dir / "model.safetensors", tensors, {{"format", "pt"}});
}

// A demo run's LLaMA-Factory YAML: `method` holds the stage's own keys.
std::string run_yaml(const fs::path& model, const std::string& image_pixels, const std::string& method,
                     const std::string& dataset, const fs::path& dataset_dir, const fs::path& output_dir,
                     const std::string& learning_rate, const std::string& epochs) {
  return "### model\nmodel_name_or_path: " + model.string() + "\nimage_max_pixels: " + image_pixels +
         "\n\n### method\n" + method + "finetuning_type: lora\nlora_rank: 16\nlora_target: all\n"
         "\n### dataset\ndataset: " + dataset + "\ndataset_dir: " + dataset_dir.string() +
         "\ntemplate: qwen2_vl\ncutoff_len: 256\nval_size: 4\n"
         "\n### output\noutput_dir: " + output_dir.string() +
         "\nlogging_steps: 2\nsave_steps: 20\nplot_loss: true\noverwrite_output_dir: true\n"
         "\n### train\nper_device_train_batch_size: 4\ngradient_accumulation_steps: 1\n"
         "learning_rate: " + learning_rate + "\nnum_train_epochs: " + epochs + "\nlr_scheduler_type: cosine\nwarmup_ratio: 0.05\n"
         "\n### eval\neval_strategy: steps\neval_steps: 10\nper_device_eval_batch_size: 4\n";
}

bool complete_model(const fs::path& dir) {
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "preprocessor_config.json",
                        "generation_config.json"})
    if (!fs::exists(dir / f)) return false;
  return true;
}

}  // namespace

const std::vector<std::string>& demo_shapes() {
  static const std::vector<std::string> s = {"circle", "square", "triangle", "cross"};
  return s;
}

const std::vector<std::string>& demo_colours() {
  static const std::vector<std::string> c = {"red", "green", "blue", "yellow", "purple"};
  return c;
}

std::string demo_caption(const std::string& colour, const std::string& shape) { return "A " + colour + " " + shape + "."; }

DemoProject make_demo_project(const fs::path& root, const DemoParams& params) {
  DemoProject project;
  project.root = root;
  project.dataset = root / "data";
  project.model = root / "model";
  project.train_yaml = root / "train.yaml";
  project.output_dir = root / "saves" / "demo-lora";
  project.dpo_yaml = root / "dpo.yaml";
  project.pairs_dataset = root / "pairs";
  project.dpo_output_dir = root / "saves" / "demo-dpo";
  std::error_code ec;
  fs::create_directories(project.dataset / "images", ec);
  if (ec) throw FileError(project.dataset.string() + ": cannot create the demo folder: " + ec.message());

  // The dataset: every shape in every colour, drawn `variants` times, each asked one question.
  std::mt19937_64 rng(params.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  ordered_json rows = ordered_json::array();
  ordered_json pairs = ordered_json::array();  // DPO: the right caption chosen, the next colour's rejected
  std::vector<std::string> texts;
  size_t q = 0;
  for (const auto& shape : demo_shapes())
    for (size_t c = 0; c < demo_colours().size(); ++c)
      for (int k = 0; k < params.variants; ++k) {
        const std::string colour = demo_colours()[c];
        const std::string file = "images/" + colour + "_" + shape + "_" + std::to_string(k) + ".png";
        const double s = params.image_size;
        const double r = s * (0.18 + 0.12 * unit(rng));
        const double cx = r + (s - 2 * r) * unit(rng), cy = r + (s - 2 * r) * unit(rng);
        if (!fs::exists(project.dataset / file))
          io::write_png_rgb(project.dataset / file, params.image_size, params.image_size,
                            draw(shape, colour_values()[c], params.image_size, cx, cy, r));
        const std::string question = questions()[q++ % questions().size()];
        const std::string answer = demo_caption(colour, shape);
        rows.push_back({{"conversations",
                         {{{"from", "human"}, {"value", "<image>" + question}}, {{"from", "gpt"}, {"value", answer}}}},
                        {"images", {file}}});
        const std::string& wrong = demo_colours()[(c + 1) % demo_colours().size()];
        pairs.push_back({{"conversations", {{{"from", "human"}, {"value", "<image>" + question}}}},
                         {"chosen", {{"from", "gpt"}, {"value", answer}}},
                         {"rejected", {{"from", "gpt"}, {"value", demo_caption(wrong, shape)}}},
                         {"images", {"../data/" + file}}});
        texts.push_back(question);
        texts.push_back(answer);
      }
  project.samples = static_cast<int64_t>(rows.size());
  write_json(project.dataset / "shapes.json", rows);
  write_json(project.dataset / "dataset_info.json",
             {{"demo_shapes", {{"file_name", "shapes.json"}, {"formatting", "sharegpt"}}}});
  // Their own folder, so that the SFT dataset opens alone.
  fs::create_directories(project.pairs_dataset, ec);
  write_json(project.pairs_dataset / "shape_pairs.json", pairs);
  write_json(project.pairs_dataset / "dataset_info.json",
             {{"demo_shape_pairs",
               {{"file_name", "shape_pairs.json"},
                {"formatting", "sharegpt"},
                {"ranking", true},
                {"columns", {{"messages", "conversations"}, {"chosen", "chosen"}, {"rejected", "rejected"}, {"images", "images"}}}}}});

  // The model, made in a side folder and renamed into place, so it is whole or absent.
  if (!complete_model(project.model)) {
    const fs::path partial = root / "model.partial";
    fs::remove_all(partial, ec);
    fs::create_directories(partial, ec);
    if (ec) throw FileError(partial.string() + ": cannot create: " + ec.message());
    // The template's text is learned too, so prompts tokenize into few pieces.
    texts.push_back("system\nYou are a helpful assistant.\nuser\nassistant\n");
    const BpeVocabulary vocab = train_byte_level_bpe(texts, 400);
    write_json(partial / "tokenizer.json", tokenizer_json(vocab));
    write_json(partial / "tokenizer_config.json",
               {{"tokenizer_class", "Qwen2TokenizerFast"}, {"bos_token", nullptr}, {"eos_token", "<|im_end|>"},
                {"pad_token", "<|endoftext|>"}, {"model_max_length", 32768}});
    write_json(partial / "config.json", model_config(vocab, params));
    write_json(partial / "preprocessor_config.json", preprocessor_config(params));
    write_json(partial / "generation_config.json",
               {{"bos_token_id", special_id(vocab, "<|endoftext|>")}, {"eos_token_id", special_id(vocab, "<|im_end|>")},
                {"pad_token_id", special_id(vocab, "<|endoftext|>")}});
    write_random_weights(partial, params.seed);
    fs::remove_all(project.model, ec);
    fs::rename(partial, project.model, ec);
    if (ec) throw FileError(project.model.string() + ": cannot move the demo model into place: " + ec.message());
  }

  // A run that finishes on a CPU in about a minute: LoRA on every linear layer of the language
  // model, a high learning rate for a tiny model, a few held-out samples to validate on. DPO on
  // the same drawings prefers the right caption to the one with the wrong colour; its SFT term
  // (pref_ftx) teaches the random base to answer at all, which preferences alone never do.
  const std::string image_pixels = std::to_string(params.image_size * params.image_size);
  if (!fs::exists(project.train_yaml))
    io::write_file_atomic(project.train_yaml, run_yaml(project.model, image_pixels, "stage: sft\n", "demo_shapes",
                                                       project.dataset, project.output_dir, "3.0e-3", "30.0"));
  if (!fs::exists(project.dpo_yaml))
    io::write_file_atomic(project.dpo_yaml,
                          run_yaml(project.model, image_pixels, "stage: dpo\npref_beta: 0.1\npref_ftx: 1.0\n", "demo_shape_pairs",
                                   project.pairs_dataset, project.dpo_output_dir, "3.0e-3", "20.0"));
  io::write_file_atomic(root / "DEMO.txt",
                        "This is vltune's demo project, made on this machine: coloured shapes (data/) and a tiny\n"
                        "Qwen2-VL with random weights (model/). Train it, then compare the base and the adapted\n"
                        "answers in Chat. dpo.yaml tunes the same model on preference pairs instead (DPO, with an SFT\n"
                        "term so that the random model also learns to answer).\n"
                        "It is only a demonstration; open your own model and dataset to begin.\n");
  return project;
}

}  // namespace vltune::demo
