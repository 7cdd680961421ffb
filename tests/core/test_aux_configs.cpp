// generation_config.json, preprocessor_config.json and tokenizer_config.json: every fixture family's
// files against their raw JSON, the v4 spellings in tests/data/configs, the transformers defaults,
// and errors that name the file and the key.

#include <cmath>
#include <fstream>

#include <QtTest/QtTest>

#include "core/error.h"
#include "core/io/aux_configs.h"
#include "tests/test_support.h"

using vltune::io::Json;

using vltune::test::contains;
using vltune::test::format_error;

namespace {

namespace fs = std::filesystem;

fs::path fixture_file(const std::string& family, const std::string& name) {
  return vltune::test::hf_fixtures_root() / family / "model" / name;
}

fs::path sample(const std::string& name) { return vltune::test::test_data_dir() / "configs" / name; }

void add_family_rows() {
  QTest::addColumn<QString>("family");
  const auto families = vltune::test::hf_fixture_families();
  if (families.empty()) QTest::newRow("no fixtures") << QString();
  for (const auto& f : families) QTest::newRow(f.c_str()) << QString::fromStdString(f);
}

std::vector<int64_t> raw_ids(const Json& value) {
  if (value.is_null()) return {};
  if (value.is_array()) return value.get<std::vector<int64_t>>();
  return {value.get<int64_t>()};
}

std::optional<int64_t> raw_optional_id(const Json& raw, const char* key) {
  if (!raw.contains(key) || raw.at(key).is_null()) return std::nullopt;
  return raw.at(key).get<int64_t>();
}

std::map<std::string, int64_t> raw_size(const Json& value) {
  std::map<std::string, int64_t> out;
  for (auto it = value.begin(); it != value.end(); ++it)
    if (!it->is_null()) out[it.key()] = it->get<int64_t>();
  return out;
}

// A special token as written: a string, null, or an AddedToken object.
std::optional<std::string> raw_token(const Json& raw, const char* key) {
  if (!raw.contains(key) || raw.at(key).is_null()) return std::nullopt;
  const Json& v = raw.at(key);
  return v.is_object() ? v.at("content").get<std::string>() : v.get<std::string>();
}


}  // namespace

class TestAuxConfigs : public QObject {
  Q_OBJECT

 private slots:
  // --- generation_config.json --------------------------------------------------------------------

  void generationConfigsMatchRaw_data() { add_family_rows(); }

  void generationConfigsMatchRaw() {
    QFETCH(QString, family);
    if (family.isEmpty()) QSKIP("no fixture families");
    const fs::path path = fixture_file(family.toStdString(), "generation_config.json");
    if (!fs::exists(path)) QSKIP("this family has no generation_config.json (optional)");
    const auto c = vltune::io::read_generation_config(path);
    const Json raw = vltune::io::read_json_file(path);
    // Defaults: GenerationConfig._get_default_generation_params() (generation/configuration_utils.py).
    QCOMPARE(c.bos_token_id, raw_optional_id(raw, "bos_token_id"));
    QCOMPARE(c.eos_token_ids, raw_ids(raw.value("eos_token_id", Json())));
    QCOMPARE(c.pad_token_id, raw_optional_id(raw, "pad_token_id"));
    QCOMPARE(c.do_sample, raw.value("do_sample", false));
    QCOMPARE(c.temperature, raw.value("temperature", 1.0));
    QCOMPARE(c.top_p, raw.value("top_p", 1.0));
    QCOMPARE(c.top_k, raw.value("top_k", int64_t{50}));
    QCOMPARE(c.max_new_tokens, raw_optional_id(raw, "max_new_tokens"));
    QCOMPARE(c.max_length, raw.value("max_length", int64_t{20}));
    QCOMPARE(c.repetition_penalty, raw.value("repetition_penalty", 1.0));
  }

  void generationDefaults() {
    // generation/configuration_utils.py: _get_default_generation_params().
    const auto c = vltune::io::parse_generation_config(Json::object(), "g.json");
    QVERIFY(c == vltune::io::GenerationConfig{});
    QVERIFY(!c.bos_token_id && c.eos_token_ids.empty() && !c.pad_token_id);
    QCOMPARE(c.do_sample, false);
    QCOMPARE(c.temperature, 1.0);
    QCOMPARE(c.top_p, 1.0);
    QCOMPARE(c.top_k, int64_t{50});
    QVERIFY(!c.max_new_tokens);
    QCOMPARE(c.max_length, int64_t{20});
    QCOMPARE(c.repetition_penalty, 1.0);
    QVERIFY(!c.min_p && c.stop_strings.empty());
  }

  void generationStopStringsAndMinP() {
    // GenerationConfig takes stop_strings as one string or a list.
    auto c = vltune::io::parse_generation_config(Json::parse(R"({"stop_strings": "<eot>", "min_p": 0.1})"), "g.json");
    QCOMPARE(c.stop_strings, (std::vector<std::string>{"<eot>"}));
    QCOMPARE(c.min_p, std::optional<double>(0.1));
    c = vltune::io::parse_generation_config(Json::parse(R"({"stop_strings": ["a", "<end>"], "min_p": null})"), "g.json");
    QCOMPARE(c.stop_strings, (std::vector<std::string>{"a", "<end>"}));
    QVERIFY(!c.min_p);
  }

  void generationSampling() {
    const auto c = vltune::io::read_generation_config(sample("generation_config_v4_sampling.json"));
    QCOMPARE(c.bos_token_id, std::optional<int64_t>(151643));
    QCOMPARE(c.eos_token_ids, (std::vector<int64_t>{151645, 151643}));
    QCOMPARE(c.pad_token_id, std::optional<int64_t>(151643));
    QVERIFY(c.do_sample);
    QCOMPARE(c.temperature, 0.1);
    QCOMPARE(c.top_k, int64_t{1});
    QCOMPARE(c.top_p, 0.001);
    QCOMPARE(c.repetition_penalty, 1.05);
    QVERIFY(!c.max_new_tokens);
  }

  // --- preprocessor_config.json ------------------------------------------------------------------

  void preprocessorConfigsMatchRaw_data() { add_family_rows(); }

  void preprocessorConfigsMatchRaw() {
    QFETCH(QString, family);
    if (family.isEmpty()) QSKIP("no fixture families");
    const fs::path path = fixture_file(family.toStdString(), "preprocessor_config.json");
    if (!fs::exists(path)) QSKIP("this family has no preprocessor_config.json");
    const auto c = vltune::io::read_preprocessor_config(path);
    const Json raw = vltune::io::read_json_file(path);

    const std::string type = raw.value("image_processor_type", std::string());
    QCOMPARE(c.image_processor_type, type);
    using Kind = vltune::io::ImageProcessorKind;
    const Kind want_kind = type.rfind("Qwen2VLImageProcessor", 0) == 0    ? Kind::qwen2_vl
                           : type.rfind("Idefics3ImageProcessor", 0) == 0 ? Kind::idefics3
                           : type.rfind("CLIPImageProcessor", 0) == 0     ? Kind::clip
                                                                          : Kind::other;
    QCOMPARE(c.kind, want_kind);

    for (const char* key : {"do_resize", "do_rescale", "do_normalize", "do_convert_rgb",
                            "do_image_splitting", "do_pad", "do_center_crop"}) {
      if (!raw.contains(key)) continue;
      const bool got = std::string(key) == "do_resize"            ? c.do_resize
                       : std::string(key) == "do_rescale"         ? c.do_rescale
                       : std::string(key) == "do_normalize"       ? c.do_normalize
                       : std::string(key) == "do_convert_rgb"     ? c.do_convert_rgb
                       : std::string(key) == "do_image_splitting" ? c.do_image_splitting
                       : std::string(key) == "do_pad"             ? c.do_pad
                                                                  : c.do_center_crop;
      QVERIFY2(got == raw.at(key).get<bool>(), key);
    }
    if (raw.contains("image_mean")) QCOMPARE(c.image_mean, raw.at("image_mean").get<std::vector<double>>());
    if (raw.contains("image_std")) QCOMPARE(c.image_std, raw.at("image_std").get<std::vector<double>>());
    if (raw.contains("rescale_factor")) QCOMPARE(c.rescale_factor, raw.at("rescale_factor").get<double>());
    if (raw.contains("resample")) QCOMPARE(c.resample, raw.at("resample").get<int64_t>());
    if (raw.contains("crop_size")) QCOMPARE(c.crop_size, raw_size(raw.at("crop_size")));
    if (raw.contains("max_image_size")) QCOMPARE(c.max_image_size, raw_size(raw.at("max_image_size")));
    for (const char* key : {"patch_size", "temporal_patch_size", "merge_size"}) {
      if (!raw.contains(key)) continue;
      const int64_t got = std::string(key) == "patch_size"            ? c.patch_size
                          : std::string(key) == "temporal_patch_size" ? c.temporal_patch_size
                                                                      : c.merge_size;
      QVERIFY2(got == raw.at(key).get<int64_t>(), key);
    }
    if (c.kind == Kind::qwen2_vl) {
      // min/max pixels: the top-level keys when given, else size's shortest/longest edge.
      const Json size = raw.value("size", Json::object());
      if (raw.contains("min_pixels"))
        QCOMPARE(c.min_pixels, raw.at("min_pixels").get<int64_t>());
      else if (size.contains("shortest_edge"))
        QCOMPARE(c.min_pixels, size.at("shortest_edge").get<int64_t>());
      if (raw.contains("max_pixels"))
        QCOMPARE(c.max_pixels, raw.at("max_pixels").get<int64_t>());
      else if (size.contains("longest_edge"))
        QCOMPARE(c.max_pixels, size.at("longest_edge").get<int64_t>());
      QCOMPARE(c.size.at("shortest_edge"), c.min_pixels);
      QCOMPARE(c.size.at("longest_edge"), c.max_pixels);
    } else if (raw.contains("size")) {
      QCOMPARE(c.size, raw_size(raw.at("size")));
    }
  }

  void qwenPreprocessorV4PixelsOverrideSize() {
    // Qwen2VLImageProcessor.__init__: top-level min_pixels / max_pixels replace size's edges.
    const auto a = vltune::io::read_preprocessor_config(sample("qwen2_vl_preprocessor_v4.json"));
    QCOMPARE(a.kind, vltune::io::ImageProcessorKind::qwen2_vl);
    QCOMPARE(a.min_pixels, int64_t{3136});
    QCOMPARE(a.max_pixels, int64_t{12845056});
    QCOMPARE(a.size, (std::map<std::string, int64_t>{{"shortest_edge", 3136}, {"longest_edge", 12845056}}));
    QCOMPARE(a.resample, int64_t{3});  // class default: bicubic

    const auto b = vltune::io::read_preprocessor_config(sample("qwen2_vl_preprocessor_v4_size_pixels.json"));
    QCOMPARE(b.min_pixels, int64_t{200704});
    QCOMPARE(b.max_pixels, int64_t{1003520});
    QCOMPARE(b.size, (std::map<std::string, int64_t>{{"shortest_edge", 200704}, {"longest_edge", 1003520}}));
  }

  void preprocessorClassDefaults() {
    using vltune::io::parse_preprocessor_config;
    // qwen2_vl/image_processing_qwen2_vl.py: size {shortest_edge: 56*56, longest_edge: 28*28*1280}.
    const auto q = parse_preprocessor_config(Json{{"image_processor_type", "Qwen2VLImageProcessorFast"}}, "p.json");
    QCOMPARE(q.kind, vltune::io::ImageProcessorKind::qwen2_vl);
    QCOMPARE(q.min_pixels, int64_t{56 * 56});
    QCOMPARE(q.max_pixels, int64_t{28 * 28 * 1280});
    QCOMPARE(q.patch_size, int64_t{14});
    QCOMPARE(q.temporal_patch_size, int64_t{2});
    QCOMPARE(q.merge_size, int64_t{2});
    QCOMPARE(q.image_mean, (std::vector<double>{0.48145466, 0.4578275, 0.40821073}));
    QVERIFY(!q.do_center_crop);

    // idefics3/image_processing_idefics3.py: LANCZOS, mean/std 0.5, {longest_edge: 4*364}, tiles 364.
    const auto i = parse_preprocessor_config(Json{{"image_processor_type", "Idefics3ImageProcessor"}}, "p.json");
    QCOMPARE(i.kind, vltune::io::ImageProcessorKind::idefics3);
    QCOMPARE(i.resample, int64_t{1});
    QCOMPARE(i.image_mean, (std::vector<double>{0.5, 0.5, 0.5}));
    QCOMPARE(i.image_std, (std::vector<double>{0.5, 0.5, 0.5}));
    QCOMPARE(i.size, (std::map<std::string, int64_t>{{"longest_edge", 1456}}));
    QCOMPARE(i.max_image_size, (std::map<std::string, int64_t>{{"longest_edge", 364}}));
    QVERIFY(i.do_image_splitting && i.do_pad);
    QCOMPARE(parse_preprocessor_config(Json{{"image_processor_type", "SmolVLMImageProcessor"}}, "p.json").kind,
             vltune::io::ImageProcessorKind::idefics3);

    // clip/image_processing_clip.py: shortest_edge 224, crop 224x224, bicubic; an old
    // CLIPFeatureExtractor file with integer size / crop_size.
    const auto c = vltune::io::read_preprocessor_config(sample("clip_feature_extractor_v4.json"));
    QCOMPARE(c.kind, vltune::io::ImageProcessorKind::clip);
    QCOMPARE(c.image_processor_type, std::string("CLIPFeatureExtractor"));
    QCOMPARE(c.size, (std::map<std::string, int64_t>{{"shortest_edge", 224}}));
    QCOMPARE(c.crop_size, (std::map<std::string, int64_t>{{"height", 224}, {"width", 224}}));
    QVERIFY(c.do_center_crop && c.do_convert_rgb);
    QVERIFY(!c.do_image_splitting);
    QCOMPARE(c.rescale_factor, 1.0 / 255.0);
  }

  // --- tokenizer_config.json ---------------------------------------------------------------------

  void tokenizerConfigsMatchRaw_data() { add_family_rows(); }

  void tokenizerConfigsMatchRaw() {
    QFETCH(QString, family);
    if (family.isEmpty()) QSKIP("no fixture families");
    const fs::path path = fixture_file(family.toStdString(), "tokenizer_config.json");
    if (!fs::exists(path)) QSKIP("this family has no tokenizer_config.json");
    const auto c = vltune::io::read_tokenizer_config(path);
    const Json raw = vltune::io::read_json_file(path);
    QCOMPARE(c.tokenizer_class, raw.value("tokenizer_class", std::string()));
    for (const char* key : {"bos_token", "eos_token", "pad_token", "unk_token"}) {
      const std::string k = key;
      const auto& got = k == "bos_token" ? c.bos_token : k == "eos_token" ? c.eos_token
                        : k == "pad_token" ? c.pad_token : c.unk_token;
      QVERIFY2(got == raw_token(raw, key), key);
    }
    if (raw.contains("model_max_length")) {
      // transformers writes int(1e30) for "no limit": too big for int64, so it clamps.
      const double m = raw.at("model_max_length").get<double>();
      if (m >= 9.2e18)
        QCOMPARE(c.model_max_length, vltune::io::kUnlimitedModelMaxLength);
      else
        QCOMPARE(c.model_max_length, static_cast<int64_t>(m));
    }
    QCOMPARE(c.add_bos_token.has_value(), raw.contains("add_bos_token") && !raw.at("add_bos_token").is_null());
    QCOMPARE(c.padding_side, raw.value("padding_side", std::string("right")));
    if (raw.contains("chat_template") && raw.at("chat_template").is_string()) {
      QVERIFY(c.chat_template());
      QCOMPARE(c.chat_template()->source, raw.at("chat_template").get<std::string>());
    }
    if (raw.contains("added_tokens_decoder")) {
      QCOMPARE(c.added_tokens_decoder.size(), raw.at("added_tokens_decoder").size());
      for (const auto& [id, token] : c.added_tokens_decoder)
        QCOMPARE(token.content, raw.at("added_tokens_decoder").at(std::to_string(id)).at("content").get<std::string>());
    }
  }

  void tokenizerAddedTokenObjectsAndTemplateList() {
    const auto c = vltune::io::read_tokenizer_config(sample("tokenizer_config_v4_llama.json"));
    QCOMPARE(c.tokenizer_class, std::string("LlamaTokenizer"));
    QCOMPARE(c.bos_token, std::optional<std::string>("<s>"));
    QCOMPARE(c.eos_token, std::optional<std::string>("</s>"));
    QCOMPARE(c.unk_token, std::optional<std::string>("<unk>"));
    QCOMPARE(c.pad_token, std::optional<std::string>("<unk>"));
    QCOMPARE(c.model_max_length, vltune::io::kUnlimitedModelMaxLength);  // int(1e30), clamped
    QCOMPARE(c.add_bos_token, std::optional<bool>(true));
    QCOMPARE(c.add_eos_token, std::optional<bool>(false));
    QCOMPARE(c.padding_side, std::string("left"));
    QCOMPARE(c.chat_templates.size(), size_t{2});
    QVERIFY(c.chat_template() && c.chat_template("tool_use"));
    QCOMPARE(c.chat_template("tool_use")->source, std::string("{{ tools | tojson }}"));
    QVERIFY(!c.chat_template("missing"));
  }

  void tokenizerAddedTokensDecoder() {
    const auto c = vltune::io::read_tokenizer_config(sample("tokenizer_config_v4_qwen.json"));
    QVERIFY(!c.bos_token);  // null
    QVERIFY(!c.unk_token);
    QCOMPARE(c.eos_token, std::optional<std::string>("<|im_end|>"));
    QCOMPARE(c.model_max_length, int64_t{32768});
    QVERIFY(!c.add_bos_token);
    QCOMPARE(c.chat_templates.size(), size_t{1});
    QCOMPARE(c.chat_templates[0].name, std::string("default"));
    QCOMPARE(c.additional_special_tokens,
             (std::vector<std::string>{"<|im_start|>", "<|im_end|>", "<|image_pad|>"}));
    QCOMPARE(c.added_tokens_decoder.size(), size_t{5});
    QCOMPARE(c.added_tokens_decoder.at(151655).content, std::string("<|image_pad|>"));
    QVERIFY(c.added_tokens_decoder.at(151655).special);
    QVERIFY(!c.added_tokens_decoder.at(151657).special);
    QVERIFY(!c.added_tokens_decoder.at(151657).normalized);
  }

  void modelMaxLengthClamps_data() {
    QTest::addColumn<QString>("json");
    QTest::addColumn<qint64>("want");
    QTest::newRow("int(1e30) as written") << "1000000000000000019884624838656" << qint64(vltune::io::kUnlimitedModelMaxLength);
    QTest::newRow("1e30 float") << "1e30" << qint64(vltune::io::kUnlimitedModelMaxLength);
    QTest::newRow("uint64 max") << "18446744073709551615" << qint64(vltune::io::kUnlimitedModelMaxLength);
    QTest::newRow("plain") << "2048" << qint64(2048);
    QTest::newRow("float 4096.0") << "4096.0" << qint64(4096);
  }

  void modelMaxLengthClamps() {
    QFETCH(QString, json);
    QFETCH(qint64, want);
    const Json config = Json::parse("{\"model_max_length\": " + json.toStdString() + "}");
    QCOMPARE(qint64(vltune::io::parse_tokenizer_config(config, "t.json").model_max_length), want);
  }

  // --- errors --------------------------------------------------------------------------------------

  void badFilesNameFileAndKey_data() {
    QTest::addColumn<QString>("file");  // which reader
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("key");
    QTest::newRow("generation top_k") << "generation_config.json" << R"({"top_k": "many"})" << "top_k";
    QTest::newRow("generation eos") << "generation_config.json" << R"({"eos_token_id": "x"})" << "eos_token_id";
    QTest::newRow("generation eos list") << "generation_config.json" << R"({"eos_token_id": [1, "x"]})" << "eos_token_id[1]";
    QTest::newRow("generation stop_strings") << "generation_config.json" << R"({"stop_strings": ["a", 1]})" << "stop_strings[1]";
    QTest::newRow("generation empty stop string") << "generation_config.json" << R"({"stop_strings": ""})" << "stop_strings";
    QTest::newRow("generation min_p") << "generation_config.json" << R"({"min_p": 1.5})" << "min_p";
    QTest::newRow("preprocessor mean") << "preprocessor_config.json" << R"({"image_mean": "imagenet"})" << "image_mean";
    QTest::newRow("preprocessor size value") << "preprocessor_config.json" << R"({"size": {"shortest_edge": "big"}})" << "size.shortest_edge";
    QTest::newRow("preprocessor qwen size") << "preprocessor_config.json"
        << R"({"image_processor_type": "Qwen2VLImageProcessor", "size": {"height": 4}})" << "size";
    QTest::newRow("tokenizer bos") << "tokenizer_config.json" << R"({"bos_token": 5})" << "bos_token";
    QTest::newRow("tokenizer AddedToken without content") << "tokenizer_config.json" << R"({"eos_token": {"lstrip": false}})" << "content";
    QTest::newRow("tokenizer chat_template") << "tokenizer_config.json" << R"({"chat_template": 3})" << "chat_template";
    QTest::newRow("tokenizer added token id") << "tokenizer_config.json"
        << R"({"added_tokens_decoder": {"x1": {"content": "a"}}})" << "added_tokens_decoder";
    QTest::newRow("tokenizer model_max_length") << "tokenizer_config.json" << R"({"model_max_length": "long"})" << "model_max_length";
    QTest::newRow("tokenizer padding_side") << "tokenizer_config.json" << R"({"padding_side": "middle"})" << "padding_side";
  }

  void badFilesNameFileAndKey() {
    QFETCH(QString, file);
    QFETCH(QString, json);
    QFETCH(QString, key);
    vltune::test::TempDir dir;
    const fs::path path = dir.path() / file.toStdString();
    std::ofstream(path) << json.toStdString();
    const std::string msg = format_error([&] {
      if (file.startsWith("generation"))
        vltune::io::read_generation_config(path);
      else if (file.startsWith("preprocessor"))
        vltune::io::read_preprocessor_config(path);
      else
        vltune::io::read_tokenizer_config(path);
    });
    QVERIFY2(contains(msg, path.string() + ":"), msg.c_str());
    QVERIFY2(contains(msg, "\"" + key.toStdString() + "\""), msg.c_str());
  }

  void missingFileIsFileError() {
    QVERIFY_THROWS_EXCEPTION(vltune::FileError,
                             vltune::io::read_generation_config("/nonexistent/generation_config.json"));
    QVERIFY_THROWS_EXCEPTION(vltune::FileError,
                             vltune::io::read_preprocessor_config("/nonexistent/preprocessor_config.json"));
    QVERIFY_THROWS_EXCEPTION(vltune::FileError,
                             vltune::io::read_tokenizer_config("/nonexistent/tokenizer_config.json"));
  }
};

QTEST_APPLESS_MAIN(TestAuxConfigs)
#include "test_aux_configs.moc"
