// read_model_config: every fixture family's config.json against its own raw JSON, v4-layout
// configs (tests/data/configs) against the fixtures' v5 ones, the transformers class defaults for
// absent keys, and errors that name the file and the key.

#include <fstream>

#include <QtTest/QtTest>

#include "core/error.h"
#include "core/io/hf_config.h"
#include "tests/test_support.h"

using vltune::io::Json;
using vltune::io::ModelConfig;
using vltune::io::ModelFamily;

using vltune::test::contains;
using vltune::test::format_error;

namespace {

namespace fs = std::filesystem;

fs::path fixture_config(const std::string& family) {
  return vltune::test::hf_fixtures_root() / family / "model" / "config.json";
}

fs::path sample(const std::string& name) { return vltune::test::test_data_dir() / "configs" / name; }

std::optional<ModelFamily> family_from_name(const std::string& name) {
  for (ModelFamily f : {ModelFamily::qwen2_vl, ModelFamily::qwen2_5_vl, ModelFamily::idefics3,
                        ModelFamily::llava, ModelFamily::clip})
    if (vltune::io::model_family_name(f) == name) return f;
  return std::nullopt;
}

const Json* find_path(const Json& root, const std::string& pointer) {
  const Json::json_pointer p(pointer);
  return root.contains(p) ? &root.at(p) : nullptr;
}

// Every key of the typed config (as model_config_to_json writes it, in the v5 layout) that the raw
// file also has, not null, must hold the same value. Counts the leaves compared.
void expect_matches_raw(const Json& typed, const Json& raw, const std::string& path, int& compared) {
  if (typed.is_object() && raw.is_object()) {
    for (auto it = typed.begin(); it != typed.end(); ++it) {
      auto r = raw.find(it.key());
      if (r == raw.end() || r->is_null()) continue;
      expect_matches_raw(it.value(), *r, path + "." + it.key(), compared);
      if (QTest::currentTestFailed()) return;
    }
    return;
  }
  if (typed.is_array() && raw.is_array()) {
    QVERIFY2(typed.size() == raw.size(), (path + ": " + typed.dump() + " vs raw " + raw.dump()).c_str());
    for (size_t i = 0; i < typed.size(); ++i) {
      expect_matches_raw(typed[i], raw[i], path + "[" + std::to_string(i) + "]", compared);
      if (QTest::currentTestFailed()) return;
    }
    return;
  }
  ++compared;
  const std::string msg = path + ": typed " + typed.dump() + ", raw " + raw.dump();
  if (typed.is_number() && raw.is_number())
    QVERIFY2(typed.get<double>() == raw.get<double>(), msg.c_str());
  else
    QVERIFY2(typed == raw, msg.c_str());
}

// Field by field (every leaf of model_config_to_json, reported by its path), then the whole
// structs with operator== so nothing the JSON view leaves out can differ either.
void expect_same_config(const ModelConfig& got, const ModelConfig& want, const std::string& path,
                        const Json& a, const Json& b) {
  if (a.is_object()) {
    QVERIFY2(b.is_object(), path.c_str());
    for (auto it = b.begin(); it != b.end(); ++it)
      QVERIFY2(a.contains(it.key()), (path + "." + it.key() + " missing").c_str());
    for (auto it = a.begin(); it != a.end(); ++it) {
      QVERIFY2(b.contains(it.key()), (path + "." + it.key() + " unexpected").c_str());
      expect_same_config(got, want, path + "." + it.key(), it.value(), b[it.key()]);
      if (QTest::currentTestFailed()) return;
    }
    return;
  }
  QVERIFY2(a == b, (path + ": got " + a.dump() + ", want " + b.dump()).c_str());
}

void expect_same_config(const ModelConfig& got, const ModelConfig& want) {
  expect_same_config(got, want, "config", vltune::io::model_config_to_json(got),
                     vltune::io::model_config_to_json(want));
  if (QTest::currentTestFailed()) return;
  QVERIFY(got == want);
}

// The eos id(s) of a raw config: an int or a list.
std::vector<int64_t> raw_ids(const Json& value) {
  if (value.is_array()) return value.get<std::vector<int64_t>>();
  return {value.get<int64_t>()};
}

ModelConfig parse(const std::string& text) {
  return vltune::io::parse_model_config(Json::parse(text), "test.json");
}

void write_json(const fs::path& path, const Json& value) { std::ofstream(path) << value.dump(2); }


}  // namespace

class TestHfConfig : public QObject {
  Q_OBJECT

 private slots:
  // --- the fixtures ------------------------------------------------------------------------------

  void fixtureConfigsParse_data() {
    QTest::addColumn<QString>("family");
    const auto families = vltune::test::hf_fixture_families();
    if (families.empty()) QTest::newRow("no fixtures") << QString();
    for (const auto& f : families) QTest::newRow(f.c_str()) << QString::fromStdString(f);
  }

  void fixtureConfigsParse() {
    QFETCH(QString, family);
    if (family.isEmpty())
      QSKIP(("no fixture families under " + vltune::test::hf_fixtures_root().string()).c_str());
    const std::string name = family.toStdString();
    const auto expected_family = family_from_name(name);
    if (!expected_family) QSKIP("not a family this reader supports");

    // From the folder and from the file.
    const ModelConfig config = vltune::io::read_model_config(fixture_config(name).parent_path());
    QVERIFY(config == vltune::io::read_model_config(fixture_config(name)));
    QCOMPARE(config.family(), *expected_family);

    const Json raw = vltune::io::read_json_file(fixture_config(name));
    QCOMPARE(config.model_type, raw.at("model_type").get<std::string>());
    QCOMPARE(config.dtype, raw.value("dtype", raw.value("torch_dtype", std::string())));

    // Every typed field the file spells the same way holds the file's value.
    const Json typed = vltune::io::model_config_to_json(config);
    QCOMPARE(typed.at("family").get<std::string>(), name);
    int compared = 0;
    expect_matches_raw(typed, raw, "config", compared);
    if (QTest::currentTestFailed()) return;
    QVERIFY2(compared >= 20, std::to_string(compared).c_str());

    // The fields whose name or shape differs from the file.
    const Json& raw_text = raw.contains("text_config") ? raw.at("text_config") : raw;
    if (const auto* text = config.text_decoder()) {
      if (raw_text.contains("eos_token_id"))
        QCOMPARE(text->eos_token_ids, raw_ids(raw_text.at("eos_token_id")));
      for (const char* key : {"bos_token_id", "pad_token_id"}) {
        if (!raw_text.contains(key)) continue;
        const auto& got = std::string(key) == "bos_token_id" ? text->bos_token_id : text->pad_token_id;
        if (raw_text.at(key).is_null())
          QVERIFY2(!got, key);
        else
          QCOMPARE(got, std::optional<int64_t>(raw_text.at(key).get<int64_t>()));
      }
      if (!raw_text.contains("head_dim"))
        QCOMPARE(text->head_dim, text->hidden_size / text->num_attention_heads);
      QCOMPARE(text->num_attention_heads % text->num_key_value_heads, int64_t{0});
      if (raw.contains("tie_word_embeddings"))
        QCOMPARE(text->tie_word_embeddings, raw.at("tie_word_embeddings").get<bool>());
      QCOMPARE(static_cast<int64_t>(text->layer_types.size()), text->num_hidden_layers);
    }
    switch (config.family()) {
      case ModelFamily::qwen2_vl:
      case ModelFamily::qwen2_5_vl: {
        const auto* text = config.text_decoder();
        const Json* section = find_path(raw, "/text_config/rope_parameters/mrope_section");
        const std::vector<int64_t> want =
            section ? section->get<std::vector<int64_t>>() : std::vector<int64_t>{16, 24, 24};
        QCOMPARE(text->rope_parameters.mrope_section, want);
        QVERIFY(text->qkv_bias && !text->o_proj_bias && !text->mlp_bias);
        const double vision_theta = config.family() == ModelFamily::qwen2_vl
                                        ? config.qwen2_vl().vision.rope_theta
                                        : config.qwen2_5_vl().vision.rope_theta;
        if (const Json* theta = find_path(raw, "/vision_config/rope_parameters/rope_theta"))
          QCOMPARE(vision_theta, theta->get<double>());
        break;
      }
      case ModelFamily::idefics3:
      case ModelFamily::llava: {
        const auto* text = config.text_decoder();
        QCOMPARE(text->model_type, std::string("llama"));
        if (raw_text.contains("attention_bias")) {
          QCOMPARE(text->qkv_bias, raw_text.at("attention_bias").get<bool>());
          QCOMPARE(text->o_proj_bias, raw_text.at("attention_bias").get<bool>());
        }
        if (config.family() == ModelFamily::llava) {
          const auto& llava = config.llava();
          QCOMPARE(llava.image_token_id, raw.value("image_token_index", raw.value("image_token_id", int64_t{-1})));
          if (raw.contains("vision_feature_layer"))
            QCOMPARE(llava.vision_feature_layers, raw_ids(raw.at("vision_feature_layer")));
        }
        break;
      }
      case ModelFamily::clip:
        QVERIFY(config.text_decoder() == nullptr);
        QCOMPARE(config.clip().projection_dim, raw.at("projection_dim").get<int64_t>());
        break;
    }
  }

  // --- v4 layouts --------------------------------------------------------------------------------

  void v4MatchesV5Fixture_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("family");
    // Pairs "pointer in the v4 file=pointer in the v5 fixture" of a few sizes: when they differ,
    // the fixture set is not the one these samples were written for, and the row is skipped.
    QTest::addColumn<QStringList>("fingerprint");
    QTest::newRow("qwen2_vl flat, rope_scaling mrope")
        << "qwen2_vl_v4_flat.json" << "qwen2_vl"
        << QStringList{"/hidden_size=/text_config/hidden_size", "/vocab_size=/text_config/vocab_size",
                       "/num_hidden_layers=/text_config/num_hidden_layers",
                       "/vision_config/embed_dim=/vision_config/embed_dim"};
    QTest::newRow("qwen2_5_vl flat")
        << "qwen2_5_vl_v4.json" << "qwen2_5_vl"
        << QStringList{"/hidden_size=/text_config/hidden_size", "/vocab_size=/text_config/vocab_size",
                       "/num_hidden_layers=/text_config/num_hidden_layers",
                       "/vision_config/hidden_size=/vision_config/hidden_size"};
    QTest::newRow("qwen2_5_vl nested text_config, rope_scaling")
        << "qwen2_5_vl_v4_nested.json" << "qwen2_5_vl"
        << QStringList{"/text_config/hidden_size=/text_config/hidden_size",
                       "/text_config/vocab_size=/text_config/vocab_size",
                       "/vision_config/hidden_size=/vision_config/hidden_size"};
    QTest::newRow("idefics3 (SmolVLM) rope_theta at the top of text_config")
        << "idefics3_v4.json" << "idefics3"
        << QStringList{"/text_config/hidden_size=/text_config/hidden_size",
                       "/text_config/vocab_size=/text_config/vocab_size",
                       "/vision_config/hidden_size=/vision_config/hidden_size"};
    QTest::newRow("llava-hf partial text_config")
        << "llava_v4_partial_text_config.json" << "llava"
        << QStringList{"/text_config/hidden_size=/text_config/hidden_size",
                       "/text_config/vocab_size=/text_config/vocab_size",
                       "/vision_config/hidden_size=/vision_config/hidden_size"};
    QTest::newRow("clip text_config_dict overrides")
        << "clip_v4.json" << "clip"
        << QStringList{"/text_config_dict/hidden_size=/text_config/hidden_size",
                       "/text_config_dict/vocab_size=/text_config/vocab_size",
                       "/vision_config/hidden_size=/vision_config/hidden_size"};
  }

  void v4MatchesV5Fixture() {
    QFETCH(QString, file);
    QFETCH(QString, family);
    QFETCH(QStringList, fingerprint);
    const fs::path fixture = fixture_config(family.toStdString());
    if (!fs::exists(fixture)) QSKIP(("no fixture " + fixture.string()).c_str());
    const Json raw_v4 = vltune::io::read_json_file(sample(file.toStdString()));
    const Json raw_v5 = vltune::io::read_json_file(fixture);
    for (const QString& pair : fingerprint) {
      const auto parts = pair.split('=');
      const Json* a = find_path(raw_v4, parts[0].toStdString());
      const Json* b = find_path(raw_v5, parts[1].toStdString());
      QVERIFY2(a, qPrintable(pair));
      if (!b || *a != *b)
        QSKIP(qPrintable("tests/data/configs/" + file + " was written for another fixture set (" +
                         pair + ")"));
    }
    const ModelConfig v4 = vltune::io::read_model_config(sample(file.toStdString()));
    const ModelConfig v5 = vltune::io::read_model_config(fixture);
    expect_same_config(v4, v5);
  }

  void smolvlmReadsAsIdefics3() {
    const ModelConfig smol = vltune::io::read_model_config(sample("smolvlm_v4.json"));
    QCOMPARE(smol.family(), ModelFamily::idefics3);
    QCOMPARE(smol.model_type, std::string("smolvlm"));
    QCOMPARE(smol.idefics3().vision.model_type, std::string("smolvlm_vision"));
    // Otherwise the same as the Idefics3 sample it was made from.
    ModelConfig idefics = vltune::io::read_model_config(sample("idefics3_v4.json"));
    auto& part = std::get<vltune::io::Idefics3Config>(idefics.family_config);
    part.vision.model_type = "smolvlm_vision";
    idefics.model_type = "smolvlm";
    expect_same_config(smol, idefics);
  }

  void missingFileIsFileError() {
    vltune::test::TempDir dir;
    QVERIFY_THROWS_EXCEPTION(vltune::FileError, vltune::io::read_model_config(dir.path()));
    QVERIFY_THROWS_EXCEPTION(vltune::FileError,
                             vltune::io::read_model_config(dir.path() / "config.json"));
  }

  // --- defaults of absent keys: the transformers config classes ------------------------------------

  void qwen2VlDefaults() {
    // qwen2_vl/configuration_qwen2_vl.py (Qwen2VLTextConfig, Qwen2VLVisionConfig, Qwen2VLConfig);
    // mrope_section: modeling_qwen2_vl.py's fallback.
    const ModelConfig config = parse(R"({"model_type": "qwen2_vl"})");
    const auto& c = config.qwen2_vl();
    QVERIFY(c == vltune::io::Qwen2VLConfig{});
    QCOMPARE(c.text.model_type, std::string("qwen2_vl_text"));
    QCOMPARE(c.text.vocab_size, int64_t{152064});
    QCOMPARE(c.text.hidden_size, int64_t{8192});
    QCOMPARE(c.text.intermediate_size, int64_t{29568});
    QCOMPARE(c.text.num_hidden_layers, int64_t{80});
    QCOMPARE(c.text.num_attention_heads, int64_t{64});
    QCOMPARE(c.text.num_key_value_heads, int64_t{8});
    QCOMPARE(c.text.head_dim, int64_t{128});
    QCOMPARE(c.text.hidden_act, std::string("silu"));
    QCOMPARE(c.text.rms_norm_eps, 1e-5);
    QCOMPARE(c.text.rope_parameters.rope_theta, 1000000.0);
    QCOMPARE(c.text.rope_parameters.rope_type, std::string("default"));
    QCOMPARE(c.text.rope_parameters.mrope_section, (std::vector<int64_t>{16, 24, 24}));
    QCOMPARE(c.text.max_position_embeddings, int64_t{32768});
    QCOMPARE(c.text.bos_token_id, std::optional<int64_t>(151643));
    QCOMPARE(c.text.eos_token_ids, std::vector<int64_t>{151645});
    QVERIFY(!c.text.pad_token_id);
    QVERIFY(!c.text.tie_word_embeddings);
    QVERIFY(!c.text.use_sliding_window && !c.text.sliding_window);
    QCOMPARE(c.text.max_window_layers, std::optional<int64_t>(80));
    QCOMPARE(c.vision.depth, int64_t{32});
    QCOMPARE(c.vision.embed_dim, int64_t{1280});
    QCOMPARE(c.vision.hidden_size, int64_t{3584});
    QCOMPARE(c.vision.hidden_act, std::string("quick_gelu"));
    QCOMPARE(c.vision.mlp_ratio, 4.0);
    QCOMPARE(c.vision.num_heads, int64_t{16});
    QCOMPARE(c.vision.in_channels, int64_t{3});
    QCOMPARE(c.vision.patch_size, int64_t{14});
    QCOMPARE(c.vision.spatial_merge_size, int64_t{2});
    QCOMPARE(c.vision.temporal_patch_size, int64_t{2});
    QCOMPARE(c.image_token_id, int64_t{151655});
    QCOMPARE(c.video_token_id, int64_t{151656});
    QCOMPARE(c.vision_start_token_id, int64_t{151652});
    QCOMPARE(c.vision_end_token_id, int64_t{151653});
  }

  void qwen2VlWithoutMropeSectionGetsDefault() {
    // A small v5 config with rope_parameters but no mrope_section: head_dim 256 / 2 = 128.
    const ModelConfig c = parse(R"({"model_type": "qwen2_vl", "text_config": {
        "hidden_size": 256, "num_attention_heads": 2, "num_key_value_heads": 1,
        "rope_parameters": {"rope_theta": 1000000.0, "rope_type": "default"}}})");
    QCOMPARE(c.qwen2_vl().text.rope_parameters.mrope_section, (std::vector<int64_t>{16, 24, 24}));
    QCOMPARE(c.qwen2_vl().text.head_dim, int64_t{128});
  }

  void qwen2_5_VlDefaults() {
    // qwen2_5_vl/configuration_qwen2_5_vl.py (Qwen2_5_VLVisionConfig; the text config as Qwen2-VL's).
    const ModelConfig config = parse(R"({"model_type": "qwen2_5_vl"})");
    const auto& c = config.qwen2_5_vl();
    QVERIFY(c == vltune::io::Qwen2_5_VLConfig{});
    QCOMPARE(c.text.model_type, std::string("qwen2_5_vl_text"));
    QCOMPARE(c.text.vocab_size, int64_t{152064});
    QCOMPARE(c.text.rope_parameters.mrope_section, (std::vector<int64_t>{16, 24, 24}));
    QCOMPARE(c.vision.depth, int64_t{32});
    QCOMPARE(c.vision.hidden_size, int64_t{3584});
    QCOMPARE(c.vision.hidden_act, std::string("silu"));
    QCOMPARE(c.vision.intermediate_size, int64_t{3420});
    QCOMPARE(c.vision.num_heads, int64_t{16});
    QCOMPARE(c.vision.tokens_per_second, int64_t{4});
    QCOMPARE(c.vision.window_size, int64_t{112});
    QCOMPARE(c.vision.out_hidden_size, int64_t{3584});
    QCOMPARE(c.vision.fullatt_block_indexes, (std::vector<int64_t>{7, 15, 23, 31}));
    QCOMPARE(c.image_token_id, int64_t{151655});
  }

  void llavaDefaults() {
    // llava/configuration_llava.py: no vision_config = CLIP ViT-L/14-336; text = LlamaConfig()
    // (llama/configuration_llama.py).
    const ModelConfig config = parse(R"({"model_type": "llava"})");
    const auto& c = config.llava();
    QVERIFY(c == vltune::io::LlavaConfig{});
    QCOMPARE(c.vision.model_type, std::string("clip_vision_model"));
    QCOMPARE(c.vision.hidden_size, int64_t{1024});
    QCOMPARE(c.vision.intermediate_size, int64_t{4096});
    QCOMPARE(c.vision.num_hidden_layers, int64_t{24});
    QCOMPARE(c.vision.num_attention_heads, int64_t{16});
    QCOMPARE(c.vision.image_size, int64_t{336});
    QCOMPARE(c.vision.patch_size, int64_t{14});
    QCOMPARE(c.vision.projection_dim, int64_t{768});
    QCOMPARE(c.vision.hidden_act, std::string("quick_gelu"));
    QCOMPARE(c.vision.layer_norm_eps, 1e-5);
    QCOMPARE(c.vision.num_channels, int64_t{3});
    QCOMPARE(c.text.model_type, std::string("llama"));
    QCOMPARE(c.text.vocab_size, int64_t{32000});
    QCOMPARE(c.text.hidden_size, int64_t{4096});
    QCOMPARE(c.text.intermediate_size, int64_t{11008});
    QCOMPARE(c.text.num_hidden_layers, int64_t{32});
    QCOMPARE(c.text.num_attention_heads, int64_t{32});
    QCOMPARE(c.text.num_key_value_heads, int64_t{32});
    QCOMPARE(c.text.head_dim, int64_t{128});
    QCOMPARE(c.text.rms_norm_eps, 1e-6);
    QCOMPARE(c.text.rope_parameters.rope_theta, 10000.0);
    QVERIFY(c.text.rope_parameters.mrope_section.empty());
    QCOMPARE(c.text.max_position_embeddings, int64_t{2048});
    QCOMPARE(c.text.bos_token_id, std::optional<int64_t>(1));
    QCOMPARE(c.text.eos_token_ids, std::vector<int64_t>{2});
    QVERIFY(!c.text.pad_token_id);
    QVERIFY(!c.text.qkv_bias && !c.text.o_proj_bias && !c.text.mlp_bias);
    QCOMPARE(c.image_token_id, int64_t{32000});
    QCOMPARE(c.image_seq_length, int64_t{576});
    QCOMPARE(c.projector_hidden_act, std::string("gelu"));
    QCOMPARE(c.vision_feature_select_strategy, std::string("default"));
    QCOMPARE(c.vision_feature_layers, std::vector<int64_t>{-2});
    QVERIFY(c.multimodal_projector_bias);
  }

  void llavaGivenVisionConfigUsesClipVisionDefaults() {
    // A vision_config that is there is a CLIPVisionConfig (clip/configuration_clip.py): ViT-B/32
    // sizes for whatever it leaves out, not the CLIP-L/336 of an absent one.
    const ModelConfig c = parse(R"({"model_type": "llava", "vision_config": {"patch_size": 14},
        "text_config": {"hidden_size": 512, "num_attention_heads": 8}})");
    const auto& v = c.llava().vision;
    QCOMPARE(v.hidden_size, int64_t{768});
    QCOMPARE(v.intermediate_size, int64_t{3072});
    QCOMPARE(v.num_hidden_layers, int64_t{12});
    QCOMPARE(v.num_attention_heads, int64_t{12});
    QCOMPARE(v.image_size, int64_t{224});
    QCOMPARE(v.patch_size, int64_t{14});
    QCOMPARE(v.projection_dim, int64_t{512});
    // LlamaConfig: absent num_key_value_heads = num_attention_heads; head_dim = hidden / heads.
    QCOMPARE(c.llava().text.num_key_value_heads, int64_t{8});
    QCOMPARE(c.llava().text.head_dim, int64_t{64});
  }

  void idefics3Defaults() {
    // idefics3/configuration_idefics3.py: without text_config, LlamaConfig(rms_norm_eps=1e-5,
    // pad_token_id=<top-level pad_token_id, default 128002>); Idefics3VisionConfig.
    const ModelConfig config = parse(R"({"model_type": "idefics3"})");
    const auto& c = config.idefics3();
    QVERIFY(c == vltune::io::Idefics3Config{});
    QCOMPARE(c.text.rms_norm_eps, 1e-5);
    QCOMPARE(c.text.pad_token_id, std::optional<int64_t>(128002));
    QCOMPARE(c.text.vocab_size, int64_t{32000});
    QCOMPARE(c.vision.model_type, std::string("idefics3_vision"));
    QCOMPARE(c.vision.hidden_size, int64_t{1152});
    QCOMPARE(c.vision.intermediate_size, int64_t{3072});
    QCOMPARE(c.vision.num_hidden_layers, int64_t{12});
    QCOMPARE(c.vision.num_attention_heads, int64_t{16});
    QCOMPARE(c.vision.image_size, int64_t{224});
    QCOMPARE(c.vision.patch_size, int64_t{32});
    QCOMPARE(c.vision.hidden_act, std::string("gelu_pytorch_tanh"));
    QCOMPARE(c.vision.layer_norm_eps, 1e-6);
    QCOMPARE(c.image_token_id, int64_t{128257});
    QCOMPARE(c.scale_factor, int64_t{2});
    QCOMPARE(c.pad_token_id, std::optional<int64_t>(128002));

    const ModelConfig own_pad = parse(R"({"model_type": "idefics3", "pad_token_id": 7})");
    QCOMPARE(own_pad.idefics3().text.pad_token_id, std::optional<int64_t>(7));
    // A given text_config is a plain LlamaConfig: rms_norm_eps 1e-6, no pad.
    const ModelConfig given = parse(R"({"model_type": "idefics3", "text_config": {}})");
    QCOMPARE(given.idefics3().text.rms_norm_eps, 1e-6);
    QVERIFY(!given.idefics3().text.pad_token_id);
  }

  void clipDefaults() {
    // clip/configuration_clip.py: CLIPTextConfig, CLIPVisionConfig, CLIPConfig.
    const ModelConfig config = parse(R"({"model_type": "clip"})");
    const auto& c = config.clip();
    QVERIFY(c == vltune::io::ClipConfig{});
    QCOMPARE(c.text.vocab_size, int64_t{49408});
    QCOMPARE(c.text.hidden_size, int64_t{512});
    QCOMPARE(c.text.intermediate_size, int64_t{2048});
    QCOMPARE(c.text.num_hidden_layers, int64_t{12});
    QCOMPARE(c.text.num_attention_heads, int64_t{8});
    QCOMPARE(c.text.max_position_embeddings, int64_t{77});
    QCOMPARE(c.text.pad_token_id, int64_t{1});
    QCOMPARE(c.text.bos_token_id, int64_t{49406});
    QCOMPARE(c.text.eos_token_id, int64_t{49407});
    QCOMPARE(c.vision.hidden_size, int64_t{768});
    QCOMPARE(c.vision.image_size, int64_t{224});
    QCOMPARE(c.vision.patch_size, int64_t{32});
    QCOMPARE(c.projection_dim, int64_t{512});
    QCOMPARE(c.logit_scale_init_value, 2.6592);
    QVERIFY(config.text_decoder() == nullptr);
  }

  // --- RoPE spellings ------------------------------------------------------------------------------

  void ropeSpellings_data() {
    QTest::addColumn<QString>("json");
    QTest::addColumn<double>("theta");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QList<int>>("section");
    QTest::addColumn<double>("factor");  // 0: none
    const QString qwen_flat =
        R"({"model_type": "qwen2_vl", "hidden_size": 128, "num_attention_heads": 2, "num_key_value_heads": 1, %1})";
    QTest::newRow("v4 flat: type mrope")
        << qwen_flat.arg(R"("rope_theta": 500000.0, "rope_scaling": {"type": "mrope", "mrope_section": [8, 12, 12]})")
        << 500000.0 << "default" << QList<int>{8, 12, 12} << 0.0;
    QTest::newRow("v4 nested: rope_type default + type default")
        << R"({"model_type": "qwen2_5_vl", "text_config": {"hidden_size": 128, "num_attention_heads": 2,
              "num_key_value_heads": 2, "rope_theta": 2.0, "rope_scaling": {"rope_type": "default", "type": "default", "mrope_section": [16, 8, 8]}}})"
        << 2.0 << "default" << QList<int>{16, 8, 8} << 0.0;
    QTest::newRow("v5 rope_parameters")
        << R"({"model_type": "qwen2_vl", "text_config": {"hidden_size": 128, "num_attention_heads": 2,
              "num_key_value_heads": null, "rope_parameters": {"rope_theta": 3.0, "rope_type": "mrope", "mrope_section": [0, 16, 16]}}})"
        << 3.0 << "default" << QList<int>{0, 16, 16} << 0.0;
    QTest::newRow("rope_scaling wins over rope_parameters")
        << R"({"model_type": "qwen2_vl", "text_config": {"hidden_size": 128, "num_attention_heads": 2,
              "num_key_value_heads": 1, "rope_parameters": {"rope_theta": 3.0, "mrope_section": [0, 16, 16]},
              "rope_scaling": {"type": "mrope", "mrope_section": [8, 12, 12]}, "rope_theta": 4.0}})"
        << 4.0 << "default" << QList<int>{8, 12, 12} << 0.0;
    QTest::newRow("llama v4 llama3 scaling")
        << R"({"model_type": "llava", "text_config": {"rope_theta": 500000.0, "rope_scaling": {"type": "llama3",
              "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}})"
        << 500000.0 << "llama3" << QList<int>{} << 8.0;
    QTest::newRow("llama v5 linear")
        << R"({"model_type": "idefics3", "text_config": {"rope_parameters": {"rope_type": "linear", "factor": 2.0, "rope_theta": 7.0}}})"
        << 7.0 << "linear" << QList<int>{} << 2.0;
    QTest::newRow("llama: no rope keys") << R"({"model_type": "llava"})" << 10000.0 << "default"
                                          << QList<int>{} << 0.0;
  }

  void ropeSpellings() {
    QFETCH(QString, json);
    QFETCH(double, theta);
    QFETCH(QString, type);
    QFETCH(QList<int>, section);
    QFETCH(double, factor);
    const ModelConfig c = parse(json.toStdString());
    const auto& rope = c.text_decoder()->rope_parameters;
    QCOMPARE(rope.rope_theta, theta);
    QCOMPARE(QString::fromStdString(rope.rope_type), type);
    QCOMPARE(rope.mrope_section, std::vector<int64_t>(section.begin(), section.end()));
    QCOMPARE(rope.factor.value_or(0.0), factor);
  }

  // --- ids and lists -------------------------------------------------------------------------------

  void idsMayBeListsOrNull() {
    const ModelConfig c = parse(R"({"model_type": "llava", "vision_feature_layer": [-2, -5, -8],
        "image_token_id": 9, "text_config": {"eos_token_id": [5, 6], "bos_token_id": null, "pad_token_id": 3}})");
    QCOMPARE(c.llava().text.eos_token_ids, (std::vector<int64_t>{5, 6}));
    QVERIFY(!c.llava().text.bos_token_id);  // null on purpose, not the default 1
    QCOMPARE(c.llava().text.pad_token_id, std::optional<int64_t>(3));
    QCOMPARE(c.llava().vision_feature_layers, (std::vector<int64_t>{-2, -5, -8}));
    QCOMPARE(c.llava().image_token_id, int64_t{9});  // the image_token_index alias
  }

  void slidingWindowLayers() {
    const ModelConfig c = parse(R"({"model_type": "qwen2_vl", "hidden_size": 256, "num_attention_heads": 2,
        "num_key_value_heads": 2, "num_hidden_layers": 3, "use_sliding_window": true, "sliding_window": 1024, "max_window_layers": 1})");
    const auto& t = c.qwen2_vl().text;
    QCOMPARE(t.sliding_window, std::optional<int64_t>(1024));
    QCOMPARE(t.layer_types, (std::vector<std::string>{"full_attention", "sliding_attention",
                                                      "sliding_attention"}));
  }

  void tieWordEmbeddings() {
    // Top level wins; LLaVA ties when either level says so (LlavaConfig.__post_init__).
    QVERIFY(parse(R"({"model_type": "qwen2_vl", "tie_word_embeddings": true,
        "text_config": {"tie_word_embeddings": false}})").text_decoder()->tie_word_embeddings);
    QVERIFY(parse(R"({"model_type": "qwen2_vl", "text_config": {"tie_word_embeddings": true}})")
                .text_decoder()->tie_word_embeddings);
    QVERIFY(parse(R"({"model_type": "llava", "tie_word_embeddings": false,
        "text_config": {"tie_word_embeddings": true}})").text_decoder()->tie_word_embeddings);
  }

  void familyAccessors() {
    const ModelConfig c = parse(R"({"model_type": "clip"})");
    QCOMPARE(c.family(), ModelFamily::clip);
    QVERIFY_THROWS_EXCEPTION(vltune::Error, c.qwen2_vl());
    QVERIFY_THROWS_EXCEPTION(vltune::Error, c.llava());
    QCOMPARE(vltune::io::model_config_to_json(c).at("family").get<std::string>(), std::string("clip"));
  }

  // --- errors --------------------------------------------------------------------------------------

  void unknownModelTypeListsSupported() {
    vltune::test::TempDir dir;
    const fs::path path = dir.path() / "config.json";
    write_json(path, Json{{"model_type", "gemma3"}});
    const std::string msg = format_error([&] { vltune::io::read_model_config(path); });
    QVERIFY2(contains(msg, path.string()), msg.c_str());
    QVERIFY2(contains(msg, "gemma3"), msg.c_str());
    for (const auto& type : vltune::io::supported_model_types()) QVERIFY2(contains(msg, type), msg.c_str());
    QVERIFY2(contains(format_error([] { parse("{}"); }), "model_type"), "missing model_type");
    QVERIFY2(contains(format_error([] { parse(R"({"model_type": "llava", "text_config": {"model_type": "mistral"}})"); }),
                      "mistral"),
             "unsupported text model_type");
  }

  // Each row edits the family's fixture config (or a sample) and expects a FormatError naming the
  // file, the section and the key.
  void badConfigsNameFileAndKey_data() {
    QTest::addColumn<QString>("family");   // fixture family, or a tests/data/configs file
    QTest::addColumn<QString>("edit");     // what to do, see below
    QTest::addColumn<QString>("section");  // expected in the message ("" for the top level)
    QTest::addColumn<QString>("key");      // expected in the message, quoted
    QTest::newRow("wrong type: string hidden_size") << "qwen2_vl" << "text hidden_size=\"wide\"" << "text_config" << "hidden_size";
    QTest::newRow("wrong type: float patch_size") << "clip" << "vision patch_size=14.5" << "vision_config" << "patch_size";
    QTest::newRow("wrong type: eos string") << "idefics3" << "text eos_token_id=\"x\"" << "text_config" << "eos_token_id";
    QTest::newRow("wrong type: list element") << "qwen2_5_vl" << "vision fullatt_block_indexes=[1,\"a\"]" << "vision_config" << "fullatt_block_indexes[1]";
    QTest::newRow("wrong type: rope_parameters") << "qwen2_vl" << "text rope_parameters=5" << "text_config" << "rope_parameters";
    QTest::newRow("wrong type: vision_feature_layer") << "llava" << "top vision_feature_layer=\"last\"" << "" << "vision_feature_layer";
    QTest::newRow("wrong type: text_config") << "llava" << "top text_config=[]" << "" << "text_config";
    QTest::newRow("not divisible: hidden_size") << "qwen2_vl" << "hidden-not-divisible" << "text_config" << "hidden_size";
    QTest::newRow("not divisible: kv heads") << "llava" << "kv-not-dividing" << "text_config" << "num_key_value_heads";
    QTest::newRow("mrope_section sum") << "qwen2_5_vl" << "mrope-off-by-one" << "text_config" << "mrope_section";
    QTest::newRow("zero heads") << "idefics3" << "vision num_attention_heads=0" << "vision_config" << "num_attention_heads";
    QTest::newRow("flat v4: not divisible") << "qwen2_vl_v4_flat.json" << "top hidden_size=255" << "" << "hidden_size";
    QTest::newRow("flat v4: wrong type") << "qwen2_vl_v4_flat.json" << "top num_key_value_heads=true" << "" << "num_key_value_heads";
  }

  void badConfigsNameFileAndKey() {
    QFETCH(QString, family);
    QFETCH(QString, edit);
    QFETCH(QString, section);
    QFETCH(QString, key);
    fs::path source = family.endsWith(".json") ? sample(family.toStdString())
                                                : fixture_config(family.toStdString());
    if (!fs::exists(source)) QSKIP(("no " + source.string()).c_str());
    Json config = vltune::io::read_json_file(source);
    auto part = [&](const QString& where) -> Json& {
      if (where == "text") return config.contains("text_config") ? config["text_config"] : config;
      if (where == "vision") return config["vision_config"];
      return config;
    };
    Json& text = part("text");
    if (edit == "hidden-not-divisible") {
      text.erase("head_dim");
      text["hidden_size"] = text.at("num_attention_heads").get<int64_t>() * 64 + 1;
    } else if (edit == "kv-not-dividing") {
      text["num_key_value_heads"] = text.at("num_attention_heads").get<int64_t>() + 1;
    } else if (edit == "mrope-off-by-one") {
      const int64_t half = text.at("hidden_size").get<int64_t>() / text.at("num_attention_heads").get<int64_t>() / 2;
      text["rope_parameters"]["mrope_section"] = {1, 1, half - 1};
    } else {
      // "<part> key=<json value>"
      const QStringList words = edit.split(' ');
      const auto eq = words[1].indexOf('=');
      part(words[0])[words[1].left(eq).toStdString()] = Json::parse(words[1].mid(eq + 1).toStdString());
    }
    vltune::test::TempDir dir;
    const fs::path path = dir.path() / "config.json";
    write_json(path, config);
    const std::string msg = format_error([&] { vltune::io::read_model_config(path); });
    QVERIFY2(contains(msg, path.string() + ":"), msg.c_str());
    if (!section.isEmpty()) QVERIFY2(contains(msg, ": " + section.toStdString() + ":"), msg.c_str());
    QVERIFY2(contains(msg, "\"" + key.toStdString() + "\""), msg.c_str());
  }
};

QTEST_APPLESS_MAIN(TestHfConfig)
#include "test_hf_config.moc"
