// The batch pipeline (core/data: split, sample_encoder, collate, batch_loader, image_cache) on the
// fixture models (../shared/fixtures/hf/<family>/model) and images:
//  - each chat family's batch against ids, labels and masks computed here: the template's pieces
//    (as LLaMA-Factory defines them) tokenized with the fixture's own tokenizer.json, each
//    `<image>` expanded with the counts the family's processor gives when run here on the decoded
//    image; pixels equal to that processor's output; padding; the model runs on the batch;
//  - CLIP: the caption tokenized and truncated to max_position_embeddings, the pixels;
//  - LLaMA-Factory's pre-resize (image_max_pixels);
//  - split and shuffle determinism; the loader with 1 and 3 workers; the prefetch bound; resuming
//    from a saved position; stopping; the image cache (hits, a corrupted entry recomputed, which
//    images it keeps, its size cap while a run stores); a missing image reported with its file and
//    row.
// Expected values come from the fixtures and from computations here, never from constants.

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include "core/data/batch_inputs.h"
#include "core/data/batch_loader.h"
#include "core/data/collate.h"
#include "core/data/image_cache.h"
#include "core/data/image_cache_folder.h"
#include "core/data/packing.h"
#include "core/io/png_writer.h"
#include "core/data/sample_encoder.h"
#include "core/data/split.h"
#include "core/models/clip.h"
#include "core/models/idefics3.h"
#include "core/models/llava.h"
#include "core/models/qwen_vl.h"
#include "core/vision/clip_image_processor.h"
#include "core/vision/idefics3_image_processor.h"
#include "core/vision/image_io.h"
#include "core/vision/image_ops.h"
#include "core/vision/qwen2_vl_image_processor.h"

#include <QtTest/QtTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <set>
#include <thread>

#include "core/error.h"
#include "core/io/aux_configs.h"
#include "core/io/hf_config.h"
#include "core/io/json_file.h"
#include "core/text/tokenizer.h"
#include "tests/model_parity_support.h"
#include "tests/test_support.h"
#include "tests/tiny_png.h"

namespace fs = std::filesystem;
using vltune::data::Batch;
using vltune::data::BatchLoader;
using vltune::data::EncodedExample;
using vltune::data::ImageRef;
using vltune::data::LoaderParams;
using vltune::data::LoaderPosition;
using vltune::data::Record;
using vltune::data::SampleEncoder;
using vltune::io::ModelFamily;
using vltune::text::TokenId;

namespace {

constexpr int64_t kIgnore = -100;  // PyTorch's ignore_index, what LLaMA-Factory labels the prompt with

fs::path fixtures() { return vltune::test::hf_fixtures_root(); }
fs::path model_dir(const QString& family) { return fixtures() / family.toStdString() / "model"; }
fs::path image_path(const std::string& name) { return fixtures() / "images" / name; }

// The fixture images, sorted by name (whatever the fixture set holds).
std::vector<std::string> fixture_images() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fixtures() / "images")) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

Record make_record(const std::string& file, int64_t row, const std::string& system,
                   const std::vector<std::pair<std::string, std::string>>& turns, const std::vector<std::string>& images) {
  Record r;
  r.file = file;
  r.row = row;
  r.system = system;
  for (const auto& [role, content] : turns) r.turns.push_back({role, content});
  for (const auto& name : images) r.images.push_back(ImageRef{name, image_path(name), 0, 0});
  return r;
}

std::vector<int64_t> to_vector(const torch::Tensor& t) {
  const auto c = t.to(torch::kLong).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

std::string repeat(const std::string& s, int64_t n) {
  std::string out;
  for (int64_t i = 0; i < n; ++i) out += s;
  return out;
}

// The id of the token tokenizer_config.json names under `key` ("pad_token", "eos_token").
std::optional<TokenId> config_token(const fs::path& model, const vltune::text::Tokenizer& tok, const std::string& key) {
  const auto cfg = vltune::io::read_json_file(model / "tokenizer_config.json");
  if (!cfg.contains(key) || !cfg.at(key).is_string()) return std::nullopt;
  return tok.token_to_id(cfg.at(key).get<std::string>());
}

// LLaMA-Factory's MMPluginMixin._preprocess_image sizes (and Qwen2VLPlugin's clamps), here again.
std::pair<int64_t, int64_t> llamafactory_size(int64_t w, int64_t h, int64_t max_pixels, int64_t min_pixels, bool qwen) {
  if (w * h > max_pixels) {
    const double f = std::sqrt(static_cast<double>(max_pixels) / static_cast<double>(w * h));
    w = static_cast<int64_t>(static_cast<double>(w) * f);
    h = static_cast<int64_t>(static_cast<double>(h) * f);
  }
  if (w * h < min_pixels) {
    const double f = std::sqrt(static_cast<double>(min_pixels) / static_cast<double>(w * h));
    w = static_cast<int64_t>(static_cast<double>(w) * f);
    h = static_cast<int64_t>(static_cast<double>(h) * f);
  }
  if (qwen) {
    if (std::min(w, h) < 28) w = std::max<int64_t>(w, 28), h = std::max<int64_t>(h, 28);
    if (static_cast<double>(w) / static_cast<double>(h) > 200) w = h * 180;
    if (static_cast<double>(h) / static_cast<double>(w) > 200) h = w * 180;
  }
  return {w, h};
}

// One image as the test expects it: what its marker becomes and the processor's output.
struct ExpectedImage {
  std::string text;          // the marker's expansion
  torch::Tensor pixels;      // Qwen: rows; LLaVA/CLIP: [1, C, H, W]; Idefics3: [tiles, C, H, W]
  torch::Tensor grid;        // Qwen: [1, 3]
};

// The family's processor run here on the decoded image, and the expansion from its output.
ExpectedImage expect_image(ModelFamily family, const fs::path& model, const std::string& name,
                           int64_t max_pixels = 768 * 768, int64_t min_pixels = 32 * 32) {
  const auto pre = vltune::io::read_preprocessor_config(model / "preprocessor_config.json");
  const auto config = vltune::io::read_model_config(model);
  torch::Tensor rgb = vltune::vision::read_image_rgb(image_path(name));
  ExpectedImage out;
  switch (family) {
    case ModelFamily::qwen2_vl:
    case ModelFamily::qwen2_5_vl: {
      const auto [w, h] = llamafactory_size(rgb.size(2), rgb.size(1), max_pixels, min_pixels, true);
      if (w != rgb.size(2) || h != rgb.size(1)) rgb = vltune::vision::resize_bicubic_antialias(rgb, h, w);
      const auto processed = vltune::vision::Qwen2VLImageProcessor(pre).process(rgb);
      out.pixels = processed.pixel_values;
      out.grid = processed.image_grid_thw;
      const auto g = to_vector(out.grid);
      const int64_t merge = pre.merge_size;
      out.text = "<|vision_start|>" + repeat("<|image_pad|>", g[0] * g[1] * g[2] / (merge * merge)) + "<|vision_end|>";
      break;
    }
    case ModelFamily::llava: {
      const auto [w, h] = llamafactory_size(rgb.size(2), rgb.size(1), max_pixels, min_pixels, false);
      if (w != rgb.size(2) || h != rgb.size(1)) rgb = vltune::vision::resize_bicubic_antialias(rgb, h, w);
      out.pixels = vltune::vision::ClipImageProcessor(pre).process(rgb);
      const auto& llava = config.llava();
      const int64_t p = llava.vision.patch_size;
      // LlavaProcessor: a token per patch, plus CLS unless the "default" strategy drops it.
      int64_t n = (out.pixels.size(2) / p) * (out.pixels.size(3) / p);
      if (llava.vision_feature_select_strategy != "default") n += 1;
      out.text = repeat("<image>", n);
      break;
    }
    case ModelFamily::idefics3: {
      int64_t rows = 0, cols = 0;
      out.pixels = vltune::vision::Idefics3ImageProcessor(pre).process_one(rgb, rows, cols);
      const auto& c = config.idefics3();
      const int64_t side = c.vision.image_size / c.vision.patch_size;
      const int64_t seq = side * side / (c.scale_factor * c.scale_factor);
      const std::string tokens = repeat("<image>", seq);
      // Idefics3Processor's _prompt_split_image / _prompt_single_image.
      std::string text;
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t col = 0; col < cols; ++col)
          text += "<fake_token_around_image><row_" + std::to_string(r + 1) + "_col_" + std::to_string(col + 1) + ">" + tokens;
        text += "\n";
      }
      if (rows > 0) text += "\n";
      out.text = text + "<fake_token_around_image><global-img>" + tokens + "<fake_token_around_image>";
      break;
    }
    case ModelFamily::clip:
      out.pixels = vltune::vision::ClipImageProcessor(pre).process(rgb);
      break;
  }
  return out;
}

// The template's definition, per family (LLaMA-Factory's register_template for qwen2_vl and
// llava; SmolVLM's chat template for idefics3), as text pieces each tokenized on its own.
struct ExpectedTemplate {
  std::string prefix;                                       // once, at the start
  std::function<std::string(const std::string&)> system;    // the system block ("" = none)
  std::string default_system;
  std::function<std::string(const std::string&)> user;      // a user message
  std::function<std::string(const std::string&)> answer;    // an assistant message (text part)
  bool eos_after_answer = false;                            // an EOS token closes each answer
};

ExpectedTemplate expected_template(ModelFamily family) {
  ExpectedTemplate t;
  switch (family) {
    case ModelFamily::qwen2_vl:
    case ModelFamily::qwen2_5_vl:
      t.system = [](const std::string& s) { return "<|im_start|>system\n" + s + "<|im_end|>\n"; };
      t.default_system = "You are a helpful assistant.";
      t.user = [](const std::string& c) { return "<|im_start|>user\n" + c + "<|im_end|>\n<|im_start|>assistant\n"; };
      t.answer = [](const std::string& c) { return c + "<|im_end|>\n"; };
      break;
    case ModelFamily::llava:
      t.system = [](const std::string& s) { return s; };
      t.default_system =
          "A chat between a curious user and an artificial intelligence assistant. "
          "The assistant gives helpful, detailed, and polite answers to the user's questions.";
      t.user = [](const std::string& c) { return "USER: " + c + " ASSISTANT:"; };
      t.answer = [](const std::string& c) { return c; };
      t.eos_after_answer = true;
      break;
    case ModelFamily::idefics3:
      t.prefix = "<|im_start|>";
      t.system = [](const std::string& s) { return "System: " + s + "<end_of_utterance>\n"; };
      t.user = [](const std::string& c) {
        return "User:" + std::string(c.starts_with("<fake_token_around_image>") ? "" : " ") + c +
               "<end_of_utterance>\nAssistant:";
      };
      t.answer = [](const std::string& c) { return " " + c + "<end_of_utterance>\n"; };
      break;
    case ModelFamily::clip: break;
  }
  return t;
}

// One sample's expected ids and labels: each message's pieces tokenized alone, the prompt
// labelled kIgnore, the answers learned.
struct ExpectedSample {
  std::vector<int64_t> ids, labels;
  std::vector<ExpectedImage> images;
};

ExpectedSample expect_sample(ModelFamily family, const fs::path& model, const vltune::text::Tokenizer& tok,
                             const Record& r) {
  const ExpectedTemplate t = expected_template(family);
  ExpectedSample out;
  for (const auto& ref : r.images) out.images.push_back(expect_image(family, model, ref.written));
  auto add = [&](const std::string& text, bool learned) {
    if (text.empty()) return;
    for (TokenId id : tok.encode(text, false)) {
      out.ids.push_back(id);
      out.labels.push_back(learned ? id : kIgnore);
    }
  };
  size_t image = 0;
  for (size_t i = 0; i < r.turns.size(); ++i) {
    std::string content = r.turns[i].content;
    for (size_t at = content.find("<image>"); at != std::string::npos; at = content.find("<image>", at)) {
      const std::string& block = out.images.at(image++).text;
      content.replace(at, 7, block);
      at += block.size();
    }
    if (r.turns[i].role == "user") {
      if (i == 0) {
        add(t.prefix, false);
        const std::string system = r.system.empty() ? t.default_system : r.system;
        if (!system.empty()) add(t.system(system), false);
      }
      add(t.user(content), false);
    } else {
      add(t.answer(content), true);
      if (t.eos_after_answer) {
        const TokenId eos = *tok.special_tokens().eos_id;
        out.ids.push_back(eos);
        out.labels.push_back(eos);
      }
    }
  }
  return out;
}

// Compares row `row` of a batch with `ids` / `labels`, padded with `pad` up to the batch width.
void check_row(const Batch& batch, int64_t row, const std::vector<int64_t>& ids, const std::vector<int64_t>& labels,
               TokenId pad) {
  const auto width = batch.input_ids.size(1);
  std::vector<int64_t> want_ids = ids, want_labels = labels, want_mask(ids.size(), 1);
  want_ids.resize(static_cast<size_t>(width), pad);
  want_mask.resize(static_cast<size_t>(width), 0);
  QCOMPARE(to_vector(batch.input_ids[row]), want_ids);
  QCOMPARE(to_vector(batch.attention_mask[row]), want_mask);
  if (!labels.empty()) {
    want_labels.resize(static_cast<size_t>(width), kIgnore);
    QCOMPARE(to_vector(batch.labels[row]), want_labels);
  }
}

// Labels that carry loss after the shift: labels[1:] != kIgnore.
int64_t shifted_label_count(const std::vector<int64_t>& labels) {
  return static_cast<int64_t>(std::count_if(labels.begin() + (labels.empty() ? 0 : 1), labels.end(),
                                            [](int64_t l) { return l != kIgnore; }));
}

bool same_tensor(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.defined() != b.defined()) return false;
  return !a.defined() || (a.sizes() == b.sizes() && a.scalar_type() == b.scalar_type() && torch::equal(a, b));
}

// Whether two batches are identical; `why` says where they differ.
bool same_batch(const Batch& a, const Batch& b, std::string& why) {
  const std::pair<const char*, std::pair<const torch::Tensor*, const torch::Tensor*>> parts[] = {
      {"input_ids", {&a.input_ids, &b.input_ids}},
      {"attention_mask", {&a.attention_mask, &b.attention_mask}},
      {"labels", {&a.labels, &b.labels}},
      {"pixel_values", {&a.pixel_values, &b.pixel_values}},
      {"image_grid_thw", {&a.image_grid_thw, &b.image_grid_thw}},
      {"pixel_attention_mask", {&a.pixel_attention_mask, &b.pixel_attention_mask}}};
  if (a.indices != b.indices) return why = "indices", false;
  if (a.epoch != b.epoch || a.step != b.step) return why = "epoch/step", false;
  if (a.label_tokens != b.label_tokens) return why = "label_tokens", false;
  for (const auto& [name, t] : parts)
    if (!same_tensor(*t.first, *t.second)) return why = name, false;
  return true;
}

// Every batch a loader gives.
std::vector<Batch> drain(BatchLoader& loader) {
  std::vector<Batch> out;
  while (auto b = loader.next()) out.push_back(std::move(*b));
  return out;
}

// `n` rows for loader tests: text-only, and with one fixture image every other row when this
// build decodes images.
std::vector<Record> loader_records(int64_t n) {
  const bool images = vltune::vision::image_io_available();
  const auto names = fixture_images();
  std::vector<Record> out;
  for (int64_t i = 0; i < n; ++i) {
    const bool with_image = images && i % 2 == 0;
    const std::string question = std::string(with_image ? "<image>" : "") + "Question number " + std::to_string(i) + "?";
    out.push_back(make_record("loader.json", i, "", {{"user", question}, {"assistant", "Answer " + std::to_string(i * 7) + "."}},
                              with_image ? std::vector<std::string>{names[static_cast<size_t>(i / 2) % names.size()]}
                                         : std::vector<std::string>{}));
  }
  return out;
}

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = i;
  return out;
}

void chat_family_rows() {
  vltune::test::add_family_rows(
      vltune::test::fixture_families_of({ModelFamily::qwen2_vl, ModelFamily::qwen2_5_vl, ModelFamily::llava, ModelFamily::idefics3}),
      "chat VLM");
}

// The first fixture family of `family`'s kind, for the tests that need one model.
QString first_of(ModelFamily family) {
  const auto all = vltune::test::fixture_families_of({family});
  return all.empty() ? QString() : QString::fromStdString(all.front());
}

}  // namespace

#define REQUIRE_IMAGE_IO()                                                                               \
  if (!vltune::vision::image_io_available())                                                            \
  QSKIP("built without image decoding (VLTUNE_WITH_IMAGE_IO=OFF): pixels cannot be read from files")

class TestBatchPipeline : public QObject {
  Q_OBJECT

 private slots:
  void chatBatch_data();
  void chatBatch();
  void clipBatch();
  void preResize();
  void splitAndShuffle();
  void loaderSameForAnyWorkerCount();
  void loaderPrefetchBound();
  void loaderResume();
  void loaderStop();
  void imageCache();
  void imageCacheFolder();
  void imageCacheStaysUnderItsCap();
  void rawPixelsAreNormalisedWhereUsed_data();
  void rawPixelsAreNormalisedWhereUsed();
  void errorNamesFileAndRow();
};

void TestBatchPipeline::chatBatch_data() { chat_family_rows(); }

void TestBatchPipeline::chatBatch() {
  // Two samples of unequal length: A with a system prompt, two images and two turns, B with the
  // default system and one image mid-sentence. Ids, labels, masks and pixels against what the
  // template's definition, the fixture's tokenizer and the family's processor give here.
  REQUIRE_IMAGE_IO();
  QFETCH(QString, family);
  const fs::path model = model_dir(family);
  const auto config = vltune::io::read_model_config(model);
  const ModelFamily kind = config.family();
  const auto names = fixture_images();
  QVERIFY(names.size() >= 3);
  const std::vector<Record> records = {
      make_record("chat.json", 0, "You describe pictures.",
                  {{"user", "<image>What is this?<image>And this?"},
                   {"assistant", "A gradient and a gray field."},
                   {"user", "Which colour comes first?"},
                   {"assistant", "Blue, then red."}},
                  {names[0], names[1]}),
      make_record("chat.json", 1, "", {{"user", "Describe <image> briefly."}, {"assistant", "Lines."}}, {names[2]}),
  };

  const SampleEncoder encoder(model);
  QCOMPARE(encoder.family(), kind);
  std::vector<EncodedExample> examples;
  for (size_t i = 0; i < records.size(); ++i) examples.push_back(encoder.encode(records[i], static_cast<int64_t>(i)));
  const Batch batch = vltune::data::collate(examples, kind, encoder.pad_id());

  const auto tok = vltune::text::load_tokenizer(model / "tokenizer.json");
  const auto pad = config_token(model, *tok, "pad_token");
  QVERIFY2(pad.has_value(), "the fixture's tokenizer_config.json names no pad token");
  QCOMPARE(encoder.pad_id(), *pad);
  std::vector<ExpectedSample> expected;
  for (const auto& r : records) expected.push_back(expect_sample(kind, model, *tok, r));

  QCOMPARE(batch.indices, (std::vector<int64_t>{0, 1}));
  const size_t width = std::max(expected[0].ids.size(), expected[1].ids.size());
  QCOMPARE(batch.input_ids.sizes().vec(), (std::vector<int64_t>{2, static_cast<int64_t>(width)}));
  QVERIFY(expected[0].ids.size() != expected[1].ids.size());  // one of them is padded
  int64_t label_tokens = 0;
  for (int64_t i = 0; i < 2; ++i) {
    check_row(batch, i, expected[static_cast<size_t>(i)].ids, expected[static_cast<size_t>(i)].labels, *pad);
    if (QTest::currentTestFailed()) return;
    label_tokens += shifted_label_count(expected[static_cast<size_t>(i)].labels);
  }
  QCOMPARE(batch.label_tokens, label_tokens);
  QCOMPARE(batch.label_tokens, vltune::data::count_label_tokens(batch.labels));

  // Pixels, in the family's batch layout.
  std::vector<torch::Tensor> all, grids;
  for (const auto& s : expected)
    for (const auto& im : s.images) {
      all.push_back(im.pixels);
      if (im.grid.defined()) grids.push_back(im.grid);
    }
  switch (kind) {
    case ModelFamily::qwen2_vl:
    case ModelFamily::qwen2_5_vl:
      QVERIFY(same_tensor(batch.pixel_values, torch::cat(all, 0)));
      QVERIFY(same_tensor(batch.image_grid_thw, torch::cat(grids, 0)));
      break;
    case ModelFamily::llava:
      QVERIFY(same_tensor(batch.pixel_values, torch::cat(all, 0)));
      QCOMPARE(batch.pixel_values.size(0), int64_t{3});
      break;
    case ModelFamily::idefics3: {
      // Per sample its images' tiles in order, then all-zero images with a zero mask up to the
      // longest list.
      const std::vector<torch::Tensor> tiles = {torch::cat({expected[0].images[0].pixels, expected[0].images[1].pixels}, 0),
                                                expected[1].images[0].pixels};
      const int64_t longest = std::max(tiles[0].size(0), tiles[1].size(0));
      QCOMPARE(batch.pixel_values.size(1), longest);
      for (int64_t i = 0; i < 2; ++i) {
        const auto& t = tiles[static_cast<size_t>(i)];
        QVERIFY(same_tensor(batch.pixel_values[i].narrow(0, 0, t.size(0)), t));
        QVERIFY(batch.pixel_attention_mask[i].narrow(0, 0, t.size(0)).eq(1).all().item<bool>());
        QVERIFY(batch.pixel_values[i].narrow(0, t.size(0), longest - t.size(0)).eq(0).all().item<bool>());
        QVERIFY(batch.pixel_attention_mask[i].narrow(0, t.size(0), longest - t.size(0)).eq(0).all().item<bool>());
      }
      // Where each sample has one image, the same as the family's processor batching them.
      const auto pre = vltune::io::read_preprocessor_config(model / "preprocessor_config.json");
      const std::vector<torch::Tensor> pair{vltune::vision::read_image_rgb(image_path(names[0])),
                                            vltune::vision::read_image_rgb(image_path(names[2]))};
      const auto direct = vltune::vision::Idefics3ImageProcessor(pre).process(pair);
      const Record one = make_record("chat.json", 0, "", {{"user", "<image>What is this?"}, {"assistant", "A picture."}}, {names[0]});
      const std::vector<EncodedExample> singles{encoder.encode(one, 0), examples[1]};
      const Batch single = vltune::data::collate(singles, kind, encoder.pad_id());
      QVERIFY(same_tensor(single.pixel_values, direct.pixel_values));
      QVERIFY(same_tensor(single.pixel_attention_mask, direct.pixel_attention_mask));
      break;
    }
    case ModelFamily::clip: break;
  }

  // The model takes the batch as it is.
  torch::NoGradGuard no_grad;
  torch::Tensor logits;
  switch (kind) {
    case ModelFamily::qwen2_vl:
    case ModelFamily::qwen2_5_vl: logits = vltune::models::load_qwen_vl(model)->forward(vltune::data::qwen_inputs(batch)); break;
    case ModelFamily::llava: logits = vltune::models::load_llava(model)->forward(vltune::data::llava_inputs(batch)); break;
    case ModelFamily::idefics3: logits = vltune::models::load_idefics3(model)->forward(vltune::data::idefics3_inputs(batch)); break;
    case ModelFamily::clip: break;
  }
  QCOMPARE(logits.size(0), int64_t{2});
  QCOMPARE(logits.size(1), static_cast<int64_t>(width));
  QVERIFY(std::isfinite(vltune::models::causal_lm_loss(logits, batch.labels).item<double>()));
  bool wrong = false;
  try {
    (void)vltune::data::clip_inputs(batch);
  } catch (const vltune::Error&) {
    wrong = true;
  }
  QVERIFY2(wrong, "a chat batch was accepted as CLIP inputs");
}

void TestBatchPipeline::clipBatch() {
  // Captions (one longer than max_position_embeddings; one taken from the assistant turn) with
  // the CLIP tokenizer's start/end tokens, cut keeping the end token; pixels from the processor.
  REQUIRE_IMAGE_IO();
  const QString family = first_of(ModelFamily::clip);
  if (family.isEmpty()) QSKIP("no CLIP fixture");
  const fs::path model = model_dir(family);
  const auto config = vltune::io::read_model_config(model);
  const int64_t max_len = config.clip().text.max_position_embeddings;
  const auto names = fixture_images();
  std::string long_caption;
  for (int64_t i = 0; long_caption.size() < static_cast<size_t>(max_len) * 8; ++i) long_caption += "a cat on the mat " + std::to_string(i) + " ";
  std::vector<Record> records;
  for (size_t i = 0; i < names.size(); ++i) {
    Record r = make_record("captions", static_cast<int64_t>(i), "", {{"user", "<image>"}, {"assistant", "from the answer"}}, {names[i]});
    if (i == 0) r.caption = long_caption;
    else if (i != 1) r.caption = "a photo number " + std::to_string(i);
    records.push_back(r);
  }
  const SampleEncoder encoder(model);
  std::vector<EncodedExample> examples;
  for (size_t i = 0; i < records.size(); ++i) examples.push_back(encoder.encode(records[i], static_cast<int64_t>(i)));
  const Batch batch = vltune::data::collate(examples, ModelFamily::clip, encoder.pad_id());

  const auto tok = vltune::text::load_tokenizer(model / "tokenizer.json");
  const auto pad = config_token(model, *tok, "pad_token");
  const auto eos = config_token(model, *tok, "eos_token");
  QVERIFY(pad && eos);
  std::vector<std::vector<int64_t>> ids;
  for (const auto& r : records) {
    auto v = tok->encode(r.caption.empty() ? "from the answer" : r.caption, /*add_special=*/true);
    std::vector<int64_t> row(v.begin(), v.end());
    if (static_cast<int64_t>(row.size()) > max_len) {
      row.resize(static_cast<size_t>(max_len));
      row.back() = *eos;
    }
    QCOMPARE(row.back(), static_cast<int64_t>(*eos));
    ids.push_back(row);
  }
  QCOMPARE(static_cast<int64_t>(ids[0].size()), max_len);
  QCOMPARE(batch.input_ids.size(1), max_len);
  for (size_t i = 0; i < ids.size(); ++i) check_row(batch, static_cast<int64_t>(i), ids[i], {}, *pad);
  QVERIFY(!batch.labels.defined());
  QCOMPARE(batch.label_tokens, int64_t{0});
  std::vector<torch::Tensor> pixels;
  for (const auto& n : names) pixels.push_back(expect_image(ModelFamily::clip, model, n).pixels);
  QVERIFY(same_tensor(batch.pixel_values, torch::cat(pixels, 0)));

  torch::NoGradGuard no_grad;
  const auto out = vltune::models::load_clip(model)->forward(vltune::data::clip_inputs(batch));
  const auto n = static_cast<int64_t>(names.size());
  QCOMPARE(out.logits_per_text.sizes().vec(), (std::vector<int64_t>{n, n}));
  QVERIFY(std::isfinite(vltune::models::clip_contrastive_loss(out.logits_per_text).item<double>()));
}

void TestBatchPipeline::preResize() {
  // image_max_pixels below the image's area: LLaMA-Factory's shrink (int() of the scaled sides,
  // PIL bicubic) before the processor, and the prompt expanded for the shrunk size.
  REQUIRE_IMAGE_IO();
  const QString family = first_of(ModelFamily::qwen2_vl);
  if (family.isEmpty()) QSKIP("no Qwen2-VL fixture");
  const fs::path model = model_dir(family);
  const auto names = fixture_images();
  // The largest fixture image, shrunk.
  std::string name;
  int64_t area = 0;
  for (const auto& n : names) {
    const auto rgb = vltune::vision::read_image_rgb(image_path(n));
    if (rgb.size(1) * rgb.size(2) > area) area = rgb.size(1) * rgb.size(2), name = n;
  }
  // Below the processor's own pixel budget too, so the shrink shows in the token count.
  const int64_t budget = std::min(area, vltune::io::read_preprocessor_config(model / "preprocessor_config.json").max_pixels) / 3;
  vltune::data::EncoderParams params;
  params.supervised.image.image_max_pixels = budget;
  const SampleEncoder encoder(model, params);
  const Record r = make_record("small.json", 0, "", {{"user", "<image>Hi"}, {"assistant", "Hello."}}, {name});
  const EncodedExample ex = encoder.encode(r, 0);
  QCOMPARE(ex.image_sizes.size(), size_t{1});
  QVERIFY(ex.image_sizes[0].width * ex.image_sizes[0].height <= budget);
  const ExpectedImage want = expect_image(ModelFamily::qwen2_vl, model, name, budget);
  QVERIFY(same_tensor(ex.pixel_values, want.pixels));
  QVERIFY(same_tensor(ex.image_grid_thw, want.grid));
  const auto tok = vltune::text::load_tokenizer(model / "tokenizer.json");
  const auto sample = expect_sample(ModelFamily::qwen2_vl, model, *tok, r);
  // expect_sample expands with the default budget; the ids must hold the shrunk image's tokens.
  const TokenId pad_token = tok->token_to_id("<|image_pad|>").value();
  const auto count = std::count(ex.input_ids.begin(), ex.input_ids.end(), pad_token);
  const auto g = to_vector(want.grid);
  QCOMPARE(static_cast<int64_t>(count), g[0] * g[1] * g[2] / 4);
  QVERIFY(static_cast<int64_t>(count) < std::count(sample.ids.begin(), sample.ids.end(), int64_t{pad_token}));
}

void TestBatchPipeline::splitAndShuffle() {
  using namespace vltune::data;
  const auto items = iota(40);
  // A shuffle is a permutation, repeatable, and seed-dependent.
  const auto a = shuffled(items, 7), b = shuffled(items, 7), c = shuffled(items, 8);
  QCOMPARE(a, b);
  QVERIFY(a != c);
  QVERIFY(a != items);
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  QCOMPARE(sorted, items);
  // The bounded draw stays in range and is roughly uniform.
  std::mt19937_64 rng(3);
  std::vector<int64_t> counts(6, 0);
  for (int i = 0; i < 60000; ++i) {
    const uint64_t v = bounded_draw(rng, 6);
    QVERIFY(v < 6);
    ++counts[v];
  }
  for (int64_t n : counts) QVERIFY2(std::abs(n - 10000) < 500, qPrintable(QString("bucket count %1").arg(n)));

  // val_size as a fraction (rounded up, as datasets' train_test_split) and as a count.
  const std::vector<int64_t> usable = {0, 2, 3, 5, 7, 8, 9, 11, 13, 14, 16, 17, 19, 20, 22, 23, 25, 26, 28, 31};
  const auto n = static_cast<int64_t>(usable.size());
  auto check_split = [&](const Split& s, int64_t n_val) {
    QCOMPARE(static_cast<int64_t>(s.validation.size()), n_val);
    QCOMPARE(static_cast<int64_t>(s.train.size()), n - n_val);
    std::vector<int64_t> both = s.train;
    both.insert(both.end(), s.validation.begin(), s.validation.end());
    std::sort(both.begin(), both.end());
    QCOMPARE(both, usable);
    QVERIFY(std::is_sorted(s.train.begin(), s.train.end()));
  };
  const Split f1 = split_samples(usable, {0.25, 1});
  check_split(f1, static_cast<int64_t>(std::ceil(0.25 * static_cast<double>(n))));
  QCOMPARE(split_samples(usable, {0.25, 1}).validation, f1.validation);
  QVERIFY(split_samples(usable, {0.25, 2}).validation != f1.validation);
  check_split(split_samples(usable, {3, 1}), 3);
  check_split(split_samples(usable, {0, 1}), 0);
  check_split(split_samples(usable, {0.01, 1}), 1);
  for (double bad : {static_cast<double>(n), 0.999, -0.5, 2.5}) {
    QString message;
    try {
      split_samples(usable, {bad, 1});
    } catch (const vltune::Error& e) {
      message = e.what();
    }
    QVERIFY2(message.contains("val_size"), qPrintable(QString("val_size %1: \"%2\"").arg(bad).arg(message)));
  }

  // Epoch orders: a function of (seed, epoch).
  QCOMPARE(epoch_order(usable, 5, 0), epoch_order(usable, 5, 0));
  QVERIFY(epoch_order(usable, 5, 0) != epoch_order(usable, 5, 1));
  QVERIFY(epoch_order(usable, 5, 0) != epoch_order(usable, 6, 0));
  QCOMPARE(epoch_order(usable, 5, 3, /*shuffle=*/false), usable);
}

void TestBatchPipeline::loaderSameForAnyWorkerCount() {
  // 9 samples, batches of 2, two epochs: 1 and 3 workers give identical batches, in the epoch
  // orders, every sample once per epoch; drop_last leaves out the single-sample batch.
  const QString family = first_of(ModelFamily::qwen2_vl);
  if (family.isEmpty()) QSKIP("no Qwen2-VL fixture");
  const SampleEncoder encoder(model_dir(family));
  const auto records = loader_records(9);
  const auto samples = iota(9);
  LoaderParams p;
  p.batch_size = 2;
  p.epochs = 2;
  p.seed = 11;
  p.workers = 1;
  BatchLoader one(encoder, records, samples, p);
  const auto a = drain(one);
  p.workers = 3;
  BatchLoader three(encoder, records, samples, p);
  const auto b = drain(three);
  QCOMPARE(one.batches_per_epoch(), int64_t{5});
  QCOMPARE(a.size(), size_t{10});
  QCOMPARE(b.size(), a.size());
  std::string why;
  for (size_t i = 0; i < a.size(); ++i) QVERIFY2(same_batch(a[i], b[i], why), qPrintable(QString("batch %1: %2").arg(i).arg(why.c_str())));
  for (int64_t e = 0; e < 2; ++e) {
    std::vector<int64_t> seen;
    for (const auto& batch : a)
      if (batch.epoch == e) seen.insert(seen.end(), batch.indices.begin(), batch.indices.end());
    QCOMPARE(seen, vltune::data::epoch_order(samples, p.seed, e));
  }
  QVERIFY(a[0].indices != a[5].indices || a[1].indices != a[6].indices);  // a new order each epoch
  QCOMPARE(a[4].indices.size(), size_t{1});
  if (vltune::vision::image_io_available()) {
    bool pixels = false;
    for (const auto& batch : a) pixels = pixels || batch.pixel_values.defined();
    QVERIFY(pixels);
  }

  p.drop_last = true;
  BatchLoader dropped(encoder, records, samples, p);
  const auto d = drain(dropped);
  QCOMPARE(d.size(), size_t{8});
  for (const auto& batch : d) QCOMPARE(batch.indices.size(), size_t{2});
}

void TestBatchPipeline::loaderPrefetchBound() {
  // A slow consumer: the workers fill the window and never go past `prefetch` batches ahead.
  const QString family = first_of(ModelFamily::qwen2_vl);
  if (family.isEmpty()) QSKIP("no Qwen2-VL fixture");
  const SampleEncoder encoder(model_dir(family));
  const auto records = loader_records(10);
  LoaderParams p;
  p.batch_size = 1;
  p.workers = 3;
  p.prefetch = 2;
  std::atomic<int64_t> most{0};
  vltune::data::LoaderHooks hooks;
  hooks.on_batch_ready = [&](int64_t ahead) {
    int64_t seen = most.load();
    while (ahead > seen && !most.compare_exchange_weak(seen, ahead)) {
    }
  };
  BatchLoader loader(encoder, records, iota(10), p, {}, {}, hooks);
  int64_t got = 0;
  while (auto b = loader.next()) {
    ++got;
    QVERIFY(loader.batches_ahead() <= p.prefetch);
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
  QCOMPARE(got, int64_t{10});
  QVERIFY2(most.load() <= p.prefetch, qPrintable(QString("%1 batches ahead").arg(most.load())));
  QCOMPARE(most.load(), p.prefetch);  // the slow consumer let the window fill
}

void TestBatchPipeline::loaderResume() {
  // A loader started at a saved position gives exactly the batches the first one gave from there,
  // mid-epoch and at an epoch boundary.
  const QString family = first_of(ModelFamily::qwen2_vl);
  if (family.isEmpty()) QSKIP("no Qwen2-VL fixture");
  const SampleEncoder encoder(model_dir(family));
  const auto records = loader_records(7);
  LoaderParams p;
  p.batch_size = 2;
  p.epochs = 2;
  p.workers = 2;
  std::vector<Batch> all;
  std::vector<LoaderPosition> positions;
  {
    BatchLoader loader(encoder, records, iota(7), p);
    positions.push_back(loader.position());
    while (auto b = loader.next()) {
      all.push_back(std::move(*b));
      positions.push_back(loader.position());
    }
  }
  QCOMPARE(all.size(), size_t{8});
  QCOMPARE(positions.back(), (LoaderPosition{2, 0}));
  for (size_t k : {size_t{3}, size_t{4}, size_t{5}}) {
    QCOMPARE(positions[k], (LoaderPosition{static_cast<int64_t>(k) / 4, static_cast<int64_t>(k) % 4}));
    BatchLoader resumed(encoder, records, iota(7), p, positions[k]);
    const auto rest = drain(resumed);
    QCOMPARE(rest.size(), all.size() - k);
    std::string why;
    for (size_t i = 0; i < rest.size(); ++i)
      QVERIFY2(same_batch(rest[i], all[k + i], why), qPrintable(QString("resumed at %1, batch %2: %3").arg(k).arg(i).arg(why.c_str())));
  }
}

void TestBatchPipeline::loaderStop() {
  // A stop requested through the caller's token ends the loader promptly: next() returns
  // nullopt and the workers are joined well before the rest of the run could have been made.
  const QString family = first_of(ModelFamily::qwen2_vl);
  if (family.isEmpty()) QSKIP("no Qwen2-VL fixture");
  const SampleEncoder encoder(model_dir(family));
  const auto records = loader_records(200);
  LoaderParams p;
  p.batch_size = 2;
  p.workers = 2;
  p.prefetch = 4;
  std::stop_source stop;
  const auto t0 = std::chrono::steady_clock::now();
  {
    BatchLoader loader(encoder, records, iota(200), p, {}, stop.get_token());
    QVERIFY(loader.next().has_value());
    stop.request_stop();
    QVERIFY(!loader.next().has_value());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  qInfo("stopped after %.3f s", seconds);
  QVERIFY2(seconds < 5.0, qPrintable(QString("stopping took %1 s").arg(seconds)));
  // A token stopped before the loader starts: nothing is delivered.
  BatchLoader stopped(encoder, records, iota(200), p, {}, stop.get_token());
  QVERIFY(!stopped.next().has_value());
}

void TestBatchPipeline::imageCache() {
  // Prepared images (uint8 at the model's resolution) keyed by the file's path, size and time: a
  // second encoding hits and gives identical tensors (also identical to no cache). Only images
  // that shrink to at most half their pixels are kept. A corrupted entry (flipped pixel bytes, a
  // truncated file, garbage) is prepared again and rewritten, never trusted; a touched file gets a
  // new entry; overwrite rebuilds what a run uses; the size cap evicts the oldest entries only.
  REQUIRE_IMAGE_IO();
  const QString family = first_of(ModelFamily::qwen2_vl);
  if (family.isEmpty()) QSKIP("no Qwen2-VL fixture");
  const fs::path model = model_dir(family);
  vltune::test::TempDir dir;
  // A photo larger than the fixture processor's pixel budget, and a fixture image within it.
  const fs::path photo = dir.path() / "photo.png";
  const auto write_photo = [&] {
    std::vector<uint8_t> rgb(640 * 480 * 3);
    for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>((i * 7 + i / 1920 * 3) % 251);
    vltune::io::write_png_rgb(photo, 640, 480, rgb);
  };
  write_photo();
  vltune::data::EncoderParams params;
  params.cache_dir = dir.path() / "cache";
  const SampleEncoder cached(model, params);
  const SampleEncoder plain(model);
  Record r = make_record("c.json", 0, "", {{"user", "<image><image>Two?"}, {"assistant", "Yes."}}, {"photo.png", "noise_97x131.png"});
  r.images[0].path = photo;

  const EncodedExample first = cached.encode(r, 0);
  QCOMPARE(cached.cache()->stats().misses, int64_t{2});
  QCOMPARE(cached.cache()->stats().stored, int64_t{1});  // the small image decodes faster than an entry reads
  QCOMPARE(vltune::test::entry_count(params.cache_dir), 1);
  const EncodedExample reference = plain.encode(r, 0);
  QVERIFY(same_tensor(first.pixel_values, reference.pixel_values));
  const EncodedExample second = cached.encode(r, 0);
  QCOMPARE(cached.cache()->stats().hits, int64_t{1});
  QVERIFY(same_tensor(second.pixel_values, reference.pixel_values));
  QVERIFY(same_tensor(second.image_grid_thw, reference.image_grid_thw));
  QCOMPARE(second.input_ids, reference.input_ids);

  // Idefics3 keeps the global view in the entry too: a hit gives the same tiles, uint8 or not.
  if (const QString idefics3 = first_of(ModelFamily::idefics3); !idefics3.isEmpty()) {
    vltune::data::EncoderParams tiles_params = params;
    tiles_params.cache_dir = dir.path() / "tiles-cache";
    const SampleEncoder tiles_cached(model_dir(idefics3), tiles_params), tiles_plain(model_dir(idefics3));
    tiles_params.raw_pixels = true;
    const SampleEncoder tiles_raw(model_dir(idefics3), tiles_params);
    Record t = make_record("c.json", 0, "", {{"user", "<image>One?"}, {"assistant", "Yes."}}, {"photo.png"});
    t.images[0].path = photo;
    const EncodedExample want = tiles_plain.encode(t, 0);
    QVERIFY(same_tensor(tiles_cached.encode(t, 0).pixel_values, want.pixel_values));  // miss, stored
    QCOMPARE(tiles_cached.cache()->stats().stored, int64_t{1});
    QVERIFY(same_tensor(tiles_cached.encode(t, 0).pixel_values, want.pixel_values));  // hit
    QCOMPARE(tiles_cached.cache()->stats().hits, int64_t{1});
    const EncodedExample raw_hit = tiles_raw.encode(t, 0);  // a hit of the same entry, left uint8
    QCOMPARE(tiles_raw.cache()->stats().hits, int64_t{1});
    QVERIFY(same_tensor(vltune::vision::normalize_with_table(raw_hit.pixel_values.view({raw_hit.pixel_values.size(0), 3, -1}),
                                                            raw_hit.pixel_table)
                            .view(want.pixel_values.sizes()),
                        want.pixel_values));
    // A small image that the tiling enlarges (upscaled to the longest edge, then the global view)
    // is kept too: that resize is what costs. Then a hit gives the same tiles.
    Record small = make_record("c.json", 1, "", {{"user", "<image>One?"}, {"assistant", "Yes."}}, {"noise_97x131.png"});
    const vltune::text::ImageSize source{97, 131};
    const vltune::text::ImageSize grown = tiles_cached.images().prepared_size(source);
    qInfo("97x131 prepared as %lldx%lld for Idefics3", static_cast<long long>(grown.width), static_cast<long long>(grown.height));
    QVERIFY(grown.width * grown.height >= 2 * source.width * source.height);
    const EncodedExample small_want = tiles_plain.encode(small, 1);
    QVERIFY(same_tensor(tiles_cached.encode(small, 1).pixel_values, small_want.pixel_values));  // miss, stored
    QCOMPARE(tiles_cached.cache()->stats().stored, int64_t{2});
    QVERIFY(same_tensor(tiles_cached.encode(small, 1).pixel_values, small_want.pixel_values));
    QCOMPARE(tiles_cached.cache()->stats().hits, int64_t{2});
  }

  // The photo's entry, from its key: uint8 pixels, much smaller than the float32 rows they make.
  const auto key = vltune::data::ImageCache::key(photo, cached.images().fingerprint());
  QVERIFY(key.has_value());
  const fs::path entry = cached.cache()->path_for(*key);
  QVERIFY(fs::exists(entry));
  uint64_t data_start = 0;
  vltune::test::read_safetensors_header_json(entry, &data_start);
  const auto size = fs::file_size(entry);
  QVERIFY(size * 3 < static_cast<uintmax_t>(reference.pixel_values.numel()) * 4);

  const std::vector<std::function<void()>> corruptions = {
      [&] {  // one byte of pixel data flipped
        std::fstream f(entry, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(static_cast<std::streamoff>(data_start + (size - data_start) / 2));
        char c = 0;
        f.get(c);
        f.seekp(static_cast<std::streamoff>(data_start + (size - data_start) / 2));
        f.put(static_cast<char>(c ^ 0x5a));
      },
      [&] { fs::resize_file(entry, size / 2); },
      [&] { std::ofstream(entry, std::ios::binary | std::ios::trunc) << "not a cache entry"; },
  };
  int64_t corrupt = 0;
  for (const auto& corrupt_it : corruptions) {
    corrupt_it();
    const EncodedExample again = cached.encode(r, 0);
    QCOMPARE(cached.cache()->stats().corrupt, ++corrupt);
    QVERIFY(same_tensor(again.pixel_values, reference.pixel_values));
    QCOMPARE(fs::file_size(entry), size);  // rewritten whole
  }
  const int64_t hits = cached.cache()->stats().hits;
  (void)cached.encode(r, 0);
  QCOMPARE(cached.cache()->stats().hits, hits + 1);

  // The photo written again (a later modification time): another key, another entry.
  fs::last_write_time(photo, fs::last_write_time(photo) + std::chrono::seconds(5));
  const auto touched = vltune::data::ImageCache::key(photo, cached.images().fingerprint());
  QVERIFY(touched && *touched != *key);
  const int64_t stored = cached.cache()->stats().stored;
  QVERIFY(same_tensor(cached.encode(r, 0).pixel_values, reference.pixel_values));
  QCOMPARE(cached.cache()->stats().stored, stored + 1);
  QCOMPARE(vltune::test::entry_count(params.cache_dir), 2);

  // overwrite_cache: the existing entry is not trusted until this encoder has written it.
  vltune::data::EncoderParams rebuild = params;
  rebuild.cache.overwrite = true;
  const SampleEncoder overwriting(model, rebuild);
  QVERIFY(same_tensor(overwriting.encode(r, 0).pixel_values, reference.pixel_values));
  QCOMPARE(overwriting.cache()->stats().hits, int64_t{0});
  QCOMPARE(overwriting.cache()->stats().stored, int64_t{1});
  (void)overwriting.encode(r, 0);
  QCOMPARE(overwriting.cache()->stats().hits, int64_t{1});

  // The size cap: opening evicts the entries used longest ago, and never a file not named as one.
  std::ofstream(params.cache_dir / "notes.txt") << "mine";
  std::ofstream(params.cache_dir / "model.safetensors") << "mine too";
  fs::last_write_time(entry, fs::last_write_time(entry) - std::chrono::hours(1));  // the old entry
  vltune::data::ImageCache capped(params.cache_dir, {static_cast<int64_t>(size + size / 2), false});
  QCOMPARE(capped.stats().evicted, int64_t{1});
  QVERIFY(!fs::exists(entry));
  QVERIFY(fs::exists(capped.path_for(*touched)));
  QVERIFY(fs::exists(params.cache_dir / "notes.txt"));
  QVERIFY(fs::exists(params.cache_dir / "model.safetensors"));
}

void TestBatchPipeline::errorNamesFileAndRow() {
  // Row 3 names an image that is not there: batch 0 (rows 0, 1) arrives, batch 1 (rows 2, 3)
  // throws naming the file and the row, from the encoder as from the loader.
  const QString family = first_of(ModelFamily::qwen2_vl);
  if (family.isEmpty()) QSKIP("no Qwen2-VL fixture");
  const SampleEncoder encoder(model_dir(family));
  std::vector<Record> records;
  for (int64_t i = 0; i < 6; ++i)
    records.push_back(make_record("sub/train.json", i, "", {{"user", "Hello " + std::to_string(i)}, {"assistant", "Hi."}}, {}));
  records[3].turns[0].content = "<image>What is it?";
  records[3].images.push_back(ImageRef{"images/missing.png", fs::path(), 0, 0});
  auto message_of = [](auto&& f) -> QString {
    try {
      f();
    } catch (const vltune::Error& e) {
      return e.what();
    }
    return "<no vltune::Error>";
  };
  const QString direct = message_of([&] { encoder.encode(records[3], 3); });
  qInfo("missing image: %s", qPrintable(direct));
  QVERIFY2(direct.contains("sub/train.json") && direct.contains("row 3"), qPrintable(direct));
  QVERIFY2(direct.contains("missing.png"), qPrintable(direct));

  LoaderParams p;
  p.batch_size = 2;
  p.shuffle = false;
  p.workers = 3;
  BatchLoader loader(encoder, records, iota(6), p);
  const auto first = loader.next();
  QVERIFY(first.has_value());
  QCOMPARE(first->indices, (std::vector<int64_t>{0, 1}));
  const QString via_loader = message_of([&] { loader.next(); });
  QVERIFY2(via_loader.contains("sub/train.json") && via_loader.contains("row 3"), qPrintable(via_loader));
  QCOMPARE(loader.position(), (LoaderPosition{0, 1}));  // the failed batch is not passed over

  // A file that exists but is no image: named too.
  vltune::test::TempDir dir;
  const fs::path bogus = dir.path() / "bogus.png";
  std::ofstream(bogus) << "not an image";
  records[3].images[0] = ImageRef{"bogus.png", bogus, 0, 0};
  const QString unreadable = message_of([&] { encoder.encode(records[3], 3); });
  qInfo("unreadable image: %s", qPrintable(unreadable));
  QVERIFY2(unreadable.contains("sub/train.json") && unreadable.contains("row 3"), qPrintable(unreadable));
}

void TestBatchPipeline::imageCacheFolder() {
  // What vltune-cli image-cache and the app's dialog report and remove: files named as entries
  // (64 hex digits + .safetensors) and nothing else, whatever else the folder holds.
  vltune::test::TempDir dir;
  const fs::path cache = dir.path() / "cache";
  QCOMPARE(vltune::data::image_cache_usage(cache).entries, int64_t{0});  // no folder yet: empty, not an error
  const std::string hex(64, 'a');
  vltune::test::write_text(cache / (hex + ".safetensors"), std::string(1000, 'x'));
  vltune::test::write_text(cache / (std::string(63, 'b') + "C.safetensors"), std::string(24, 'x'));
  const fs::path others[] = {cache / "notes.txt", cache / (hex + ".safetensors.tmp"), cache / (std::string(63, 'a') + "g.safetensors"),
                             cache / (hex + "a.safetensors"), cache / "model.safetensors"};
  for (const fs::path& p : others) vltune::test::write_text(p, "the user's");
  fs::create_directories(cache / (std::string(64, 'd') + ".safetensors"));  // a folder named as an entry
  QVERIFY(vltune::data::is_image_cache_entry(cache / (hex + ".safetensors")));
  QVERIFY(!vltune::data::is_image_cache_entry(others[2]));

  const vltune::data::ImageCacheUsage usage = vltune::data::image_cache_usage(cache);
  QCOMPARE(usage.entries, int64_t{2});
  QCOMPARE(usage.bytes, int64_t{1024});
  const vltune::data::ImageCacheUsage removed = vltune::data::clear_image_cache(cache);
  QCOMPARE(removed.entries, int64_t{2});
  QCOMPARE(removed.bytes, int64_t{1024});
  QCOMPARE(vltune::data::image_cache_usage(cache).entries, int64_t{0});
  for (const fs::path& p : others) QVERIFY2(fs::exists(p), p.c_str());
  QVERIFY(fs::is_directory(cache / (std::string(64, 'd') + ".safetensors")));
  QCOMPARE(vltune::data::clear_image_cache(dir.path() / "nowhere").entries, int64_t{0});

  const std::string err = vltune::test::error_of([&] { vltune::data::image_cache_usage(others[0]); });
  QVERIFY2(vltune::test::contains(err, others[0].string() + ": the image cache is not a folder"), err.c_str());
}

void TestBatchPipeline::imageCacheStaysUnderItsCap() {
  // Which images are kept: those prepared to at most half or at least twice their pixels.
  using vltune::data::ImageCache;
  QVERIFY(ImageCache::worth_keeping({640, 480}, {480, 320}));
  QVERIFY(!ImageCache::worth_keeping({640, 480}, {481, 320}));
  QVERIFY(!ImageCache::worth_keeping({640, 480}, {644, 476}));  // Qwen's rounding to 28s
  QVERIFY(!ImageCache::worth_keeping({100, 100}, {141, 141}));
  QVERIFY(ImageCache::worth_keeping({100, 100}, {142, 142}));
  QVERIFY(ImageCache::worth_keeping({640, 480}, {2048, 1536 + 512}));  // SmolVLM's tiles and global view

  // While a run stores, the folder stays under the cap: an entry that would pass it is not
  // written (counted as full) when the folder holds only this run's entries; rewriting an entry
  // gives that entry's bytes back first.
  vltune::test::TempDir dir;
  const at::Tensor pixels = at::randint(0, 256, {3, 64, 48}, at::kByte);
  const vltune::data::CachedImage image{{96, 128}, pixels};
  const std::string k1(64, '1'), k2(64, '2'), k3(64, '3');
  ImageCache probe(dir.path() / "probe", {0, false});  // no cap
  probe.store(k1, image);
  const auto entry = static_cast<int64_t>(fs::file_size(probe.path_for(k1)));
  QCOMPARE(probe.bytes(), entry);
  QVERIFY(entry > pixels.numel());

  const int64_t cap = entry * 5 / 2;
  ImageCache cache(dir.path() / "capped", {cap, false});
  QCOMPARE(cache.bytes(), int64_t{0});
  for (const std::string& k : {k1, k2, k3}) cache.store(k, image);
  QCOMPARE(cache.stats().stored, int64_t{2});
  QCOMPARE(cache.stats().full, int64_t{1});
  QCOMPARE(cache.bytes(), 2 * entry);
  QVERIFY(fs::exists(cache.path_for(k1)) && fs::exists(cache.path_for(k2)) && !fs::exists(cache.path_for(k3)));
  QCOMPARE(vltune::data::image_cache_usage(dir.path() / "capped").bytes, 2 * entry);
  cache.store(k2, image);  // a rewrite fits where a new entry doesn't
  QCOMPARE(cache.stats().stored, int64_t{3});
  QCOMPARE(cache.stats().full, int64_t{1});
  QCOMPARE(cache.bytes(), 2 * entry);

  // The next run counts what the folder holds, and makes room from the entries it hasn't used,
  // oldest first; four workers storing at once stay under the cap too.
  const int64_t cap4 = cap + 2 * entry;  // room for 4 entries
  ImageCache reopened(dir.path() / "capped", {cap4, false});
  QCOMPARE(reopened.bytes(), 2 * entry);
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w)
    workers.emplace_back([&reopened, &image, w] {
      for (int i = 0; i < 4; ++i) reopened.store(std::string(63, 'a') + "0123456789abcdef"[w * 4 + i], image);
    });
  for (auto& t : workers) t.join();
  QCOMPARE(reopened.stats().stored, int64_t{4});
  QCOMPARE(reopened.stats().evicted, int64_t{2});  // k1 and k2, the previous run's
  QCOMPARE(reopened.stats().full, int64_t{12});
  QVERIFY(!fs::exists(reopened.path_for(k1)) && !fs::exists(reopened.path_for(k2)));
  QCOMPARE(vltune::data::image_cache_usage(dir.path() / "capped").bytes, 4 * entry);
  QCOMPARE(reopened.bytes(), 4 * entry);

  // An old entry this run has used (a hit sets its time to now) is not what room is made from.
  std::vector<fs::path> held;
  for (const auto& it : fs::directory_iterator(dir.path() / "capped")) held.push_back(it.path());
  QCOMPARE(held.size(), size_t{4});
  fs::last_write_time(held[0], fs::file_time_type::clock::now() - std::chrono::hours(2));  // the oldest
  ImageCache third(dir.path() / "capped", {cap4, false});
  fs::last_write_time(held[0], fs::file_time_type::clock::now() + std::chrono::seconds(1));  // as a hit does
  third.store(k3, image);
  QCOMPARE(third.stats().stored, int64_t{1});
  QCOMPARE(third.stats().evicted, int64_t{1});
  QVERIFY(fs::exists(held[0]) && fs::exists(third.path_for(k3)));
  QCOMPARE(vltune::data::image_cache_usage(dir.path() / "capped").entries, int64_t{4});
}

void TestBatchPipeline::rawPixelsAreNormalisedWhereUsed_data() {
  vltune::test::add_family_rows(
      vltune::test::fixture_families_of({ModelFamily::qwen2_vl, ModelFamily::qwen2_5_vl, ModelFamily::llava, ModelFamily::idefics3,
                                         ModelFamily::clip}),
      "VLM or CLIP");
}

void TestBatchPipeline::rawPixelsAreNormalisedWhereUsed() {
  // Training keeps pixels uint8 until data::*_inputs sends them to the device and normalises them
  // there (EncoderParams::raw_pixels): the model must get exactly the floats of the normalised
  // path, padding (Idefics3's all-zero tiles) included, packed rows too, and the same logits.
  REQUIRE_IMAGE_IO();
  QFETCH(QString, family);
  const fs::path model = model_dir(family);
  const ModelFamily kind = vltune::io::read_model_config(model).family();
  const auto names = fixture_images();
  QVERIFY(names.size() >= 3);
  std::vector<Record> records;
  if (kind == ModelFamily::clip) {
    for (int i = 0; i < 3; ++i) {
      Record r = make_record("clip.json", i, "", {}, {names[static_cast<size_t>(i)]});
      r.caption = "picture " + std::to_string(i);
      records.push_back(r);
    }
  } else {
    records = {make_record("chat.json", 0, "", {{"user", "<image>What?<image>And?"}, {"assistant", "Two."}}, {names[0], names[1]}),
               make_record("chat.json", 1, "", {{"user", "<image>Describe."}, {"assistant", "Lines."}}, {names[2]}),
               make_record("chat.json", 2, "", {{"user", "No picture here."}, {"assistant", "Right."}}, {})};
  }
  vltune::data::EncoderParams raw_params;
  raw_params.raw_pixels = true;
  const SampleEncoder normalised(model), raw(model, raw_params);
  std::vector<EncodedExample> a, b;
  for (size_t i = 0; i < records.size(); ++i) {
    a.push_back(normalised.encode(records[i], static_cast<int64_t>(i)));
    b.push_back(raw.encode(records[i], static_cast<int64_t>(i)));
  }
  QCOMPARE(b[0].pixel_values.scalar_type(), torch::kByte);
  QVERIFY(same_tensor(b[0].pixel_table, raw.images().pixel_table()));
  QCOMPARE(b[0].pixel_values.sizes().vec(), a[0].pixel_values.sizes().vec());
  QCOMPARE(b[0].input_ids, a[0].input_ids);

  // The same inputs, batch by batch: [0, 1, 2] (Idefics3: 2 padded with zero tiles) and [2, 0].
  const auto pixels_of = [&](const Batch& batch) {
    switch (kind) {
      case ModelFamily::qwen2_vl:
      case ModelFamily::qwen2_5_vl: return vltune::data::qwen_inputs(batch).pixel_values;
      case ModelFamily::llava: return vltune::data::llava_inputs(batch).pixel_values;
      case ModelFamily::idefics3: return vltune::data::idefics3_inputs(batch).pixel_values;
      case ModelFamily::clip: return vltune::data::clip_inputs(batch).pixel_values;
    }
    return torch::Tensor();
  };
  const std::vector<std::vector<size_t>> groups = {{0, 1, 2}, {2, 0}};
  for (const auto& group : groups) {
    std::vector<EncodedExample> ga, gb;
    for (size_t i : group) ga.push_back(a[i]), gb.push_back(b[i]);
    const Batch ba = vltune::data::collate(ga, kind, normalised.pad_id());
    const Batch bb = vltune::data::collate(gb, kind, raw.pad_id());
    QCOMPARE(bb.pixel_values.scalar_type(), torch::kByte);
    QVERIFY(bb.pixel_table.defined() && !ba.pixel_table.defined());
    const torch::Tensor want = pixels_of(ba), got = pixels_of(bb);
    QCOMPARE(got.scalar_type(), torch::kFloat);
    QVERIFY2(same_tensor(got, want), family.toUtf8().constData());
    if (kind == ModelFamily::idefics3) {
      // Which tiles are real: the images' tiles, not the padding; what the model reads instead
      // of testing uint8 pixels for zero.
      const auto flat = want.reshape({want.size(0) * want.size(1), -1});
      const auto nonzero = flat.ne(0).any(1);
      QVERIFY(same_tensor(bb.real_tiles.reshape({-1}), nonzero));
      QVERIFY(!nonzero.all().item<bool>());  // there was padding to zero
      torch::NoGradGuard no_grad;
      auto m = vltune::models::load_idefics3(model);
      QVERIFY(same_tensor(m->forward(vltune::data::idefics3_inputs(bb)), m->forward(vltune::data::idefics3_inputs(ba))));
    } else if (kind != ModelFamily::clip) {
      torch::NoGradGuard no_grad;
      if (kind == ModelFamily::llava) {
        auto m = vltune::models::load_llava(model);
        QVERIFY(same_tensor(m->forward(vltune::data::llava_inputs(bb)), m->forward(vltune::data::llava_inputs(ba))));
      } else {
        auto m = vltune::models::load_qwen_vl(model);
        QVERIFY(same_tensor(m->forward(vltune::data::qwen_inputs(bb)), m->forward(vltune::data::qwen_inputs(ba))));
      }
    }
  }

  // Packed rows keep them uint8 too.
  if (kind != ModelFamily::clip) {
    const Batch pa = vltune::data::collate(std::vector<EncodedExample>{vltune::data::pack_examples({a[0], a[2], a[1]})}, kind,
                                           normalised.pad_id());
    const Batch pb = vltune::data::collate(std::vector<EncodedExample>{vltune::data::pack_examples({b[0], b[2], b[1]})}, kind,
                                           raw.pad_id());
    QCOMPARE(pb.pixel_values.scalar_type(), torch::kByte);
    QVERIFY(same_tensor(pixels_of(pb), pixels_of(pa)));
  }

  // Normalised and uint8 examples do not mix.
  const std::vector<EncodedExample> mixed{a[0], b[1]};
  const std::string err = vltune::test::error_of([&] { vltune::data::collate(mixed, kind, raw.pad_id()); });
  QVERIFY2(vltune::test::contains(err, "normalised and uint8 pixels cannot share a batch"), err.c_str());
}

QTEST_APPLESS_MAIN(TestBatchPipeline)
#include "test_batch_pipeline.moc"
