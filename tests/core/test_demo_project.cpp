// The first-run demo project: made on the spot with nothing downloaded, a dataset that validates
// against its own model, a tokenizer that round-trips the captions, reuse without rewriting, and
// the point of it all: after `vltune-cli train train.yaml` the adapted model names the shapes
// while the base model does not.

#include <fstream>

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include "core/data/dataset.h"
#include "core/data/sample_encoder.h"
#include "core/data/validation.h"
#include "core/demo/bpe_trainer.h"
#include "core/demo/demo_project.h"
#include "core/io/hf_config.h"
#include "core/text/image_placeholders.h"
#include "core/train/train_config.h"
#include "tests/cli_support.h"
#include "tests/test_support.h"
#include "tests/tiny_png.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace vltune;

class TestDemoProject : public QObject {
  Q_OBJECT
 private slots:
  void bpeMergesTheMostFrequentPairsFirst();
  void datasetValidatesAgainstItsModel();
  void reusedAndRepaired();
  void trainingTeachesTheShapes();
};

void TestDemoProject::bpeMergesTheMostFrequentPairsFirst() {
  const demo::BpeVocabulary v = demo::train_byte_level_bpe({"ab ab ab abc", "abc"}, 10);
  QCOMPARE(v.tokens.size(), size_t(256) + v.merges.size());
  // "ab" occurs 5 times: the first merge; then " ab" (Ġ + ab) 3 times, then "abc" twice.
  QVERIFY(!v.merges.empty());
  QCOMPARE(v.merges[0].first + v.merges[0].second, std::string("ab"));
  QCOMPARE(v.tokens[256], std::string("ab"));
  QCOMPARE(v.merges[1].first + v.merges[1].second, std::string("Ġab"));
  // Nothing seen only once is merged.
  for (const auto& [a, b] : v.merges) QVERIFY2(a + b != "Ġabc", (a + b).c_str());
}

void TestDemoProject::datasetValidatesAgainstItsModel() {
  test::TempDir dir;
  const demo::DemoProject p = demo::make_demo_project(dir.path() / "demo");
  QCOMPARE(p.samples, int64_t(demo::demo_shapes().size() * demo::demo_colours().size() * 2));
  const data::Dataset ds = data::open_dataset(p.dataset);
  QCOMPARE(ds.format, data::DatasetFormat::llamafactory);
  QCOMPARE(int64_t(ds.records.size()), p.samples);

  const data::SampleEncoder encoder(p.model);
  QCOMPARE(encoder.family(), io::ModelFamily::qwen2_vl);
  data::ValidationParams vp;
  vp.tmpl = encoder.chat_template();
  vp.tokenizer = &encoder.tokenizer();
  vp.layout = text::load_image_layout(p.model);
  const data::DatasetReport report = data::validate_dataset(ds, vp);
  QVERIFY2(report.problems.empty(), report.problems.empty() ? "" : report.problems.front().message.c_str());
  for (int64_t n : report.token_lengths) QVERIFY2(n > 16 && n < 256, std::to_string(n).c_str());  // 16 image tokens + text

  // The same drawings as preference pairs, in their own folder, for dpo.yaml.
  const data::Dataset pairs = data::open_dataset(p.pairs_dataset);
  QCOMPARE(int64_t(pairs.records.size()), p.samples);
  QVERIFY(pairs.files.at(0).ranking);
  const data::DatasetReport pair_report = data::validate_dataset(pairs, vp);
  QVERIFY2(pair_report.problems.empty(), pair_report.problems.empty() ? "" : pair_report.problems.front().message.c_str());
  for (size_t i = 0; i < pairs.records.size(); ++i) {
    QCOMPARE(pairs.records[i].images.at(0).path.filename(), ds.records[i].images.at(0).path.filename());
    QCOMPARE(pairs.records[i].turns.back().content, ds.records[i].turns.back().content);  // the right caption chosen
    QVERIFY(*pairs.records[i].rejected != ds.records[i].turns.back().content);
  }
  const auto dpo = vltune::train::load_train_config(p.dpo_yaml);
  QCOMPARE(dpo.stage, vltune::train::Stage::dpo);
  QVERIFY(dpo.pref_ftx > 0);  // preferences alone never teach a random model to answer
  QCOMPARE(fs::path(dpo.dataset_dir), p.pairs_dataset);

  // The learned vocabulary: captions round-trip and take few tokens; specials are the config's ids.
  const auto& tok = encoder.tokenizer();
  for (const auto& shape : demo::demo_shapes())
    for (const auto& colour : demo::demo_colours()) {
      const std::string caption = demo::demo_caption(colour, shape);
      const auto ids = tok.encode(caption);
      QCOMPARE(tok.decode(ids), caption);
      QVERIFY2(ids.size() * 2 <= caption.size(), caption.c_str());
    }
  const json config = json::parse(std::ifstream(p.model / "config.json"));
  const auto ids = tok.encode("<|image_pad|><|im_end|>");
  QCOMPARE(ids.size(), size_t(2));
  QCOMPARE(int64_t(ids[0]), config.at("image_token_id").get<int64_t>());
  QCOMPARE(int64_t(ids[1]), config.at("text_config").at("eos_token_id").get<int64_t>());
  QVERIFY(config.at("text_config").at("vocab_size").get<int64_t>() > int64_t(ids[1]));
}

void TestDemoProject::reusedAndRepaired() {
  test::TempDir dir;
  const demo::DemoProject p = demo::make_demo_project(dir.path());
  const auto weights_time = fs::last_write_time(p.model / "model.safetensors");
  // The user edited the YAML: a second start keeps it, and the model is not made again.
  test::write_text(p.train_yaml, "# mine\n");
  const fs::path image = p.dataset / "images" / "red_circle_0.png";
  fs::remove(image);
  demo::make_demo_project(dir.path());
  QCOMPARE(fs::last_write_time(p.model / "model.safetensors"), weights_time);
  QVERIFY(fs::exists(image));  // a missing drawing is drawn again
  std::ifstream yaml(p.train_yaml);
  std::string first;
  std::getline(yaml, first);
  QCOMPARE(first, std::string("# mine"));
  // A model folder missing a file is made again whole.
  fs::remove(p.model / "tokenizer.json");
  demo::make_demo_project(dir.path());
  QVERIFY(fs::exists(p.model / "tokenizer.json"));
  QVERIFY(!fs::exists(dir.path() / "model.partial"));
}

void TestDemoProject::trainingTeachesTheShapes() {
  test::TempDir dir;
  const QString cli = QStringLiteral(VLTUNE_CLI_PATH);
  const auto made = test::run_program(cli, {"demo", QString::fromStdString((dir.path() / "demo").string())});
  QVERIFY2(made.code == 0, made.err.c_str());
  const fs::path root = dir.path() / "demo";
  const auto trained = test::run_program(cli, {"train", "train.yaml", "--device", "cpu"}, root);
  QVERIFY2(trained.code == 0, trained.err.c_str());
  QVERIFY(fs::exists(root / "saves/demo-lora/adapter_model.safetensors"));

  // Five drawings, base and adapted side by side: the adapter names them, the base does not.
  const std::vector<std::pair<std::string, std::string>> probes = {
      {"red", "circle"}, {"blue", "square"}, {"yellow", "triangle"}, {"green", "cross"}, {"purple", "circle"}};
  int adapted_right = 0, base_right = 0;
  std::string transcript;
  for (const auto& [colour, shape] : probes) {
    const std::string image = "data/images/" + colour + "_" + shape + "_0.png";
    const auto r = test::run_program(cli, {"chat", "--compare", "--model", "model", "--adapter", "saves/demo-lora", "--image",
                                           QString::fromStdString(image), "--max-new-tokens", "12", "What is in the picture?"},
                                     root);
    QVERIFY2(r.code == 0, r.err.c_str());
    transcript += r.out;
    const std::string expected = demo::demo_caption(colour, shape);
    const size_t split = r.out.find("demo-lora");
    QVERIFY2(split != std::string::npos, r.out.c_str());
    base_right += r.out.substr(0, split).find(expected) != std::string::npos;
    adapted_right += r.out.substr(split).find(expected) != std::string::npos;
  }
  QVERIFY2(adapted_right >= 4, transcript.c_str());
  QVERIFY2(base_right == 0, transcript.c_str());
}

QTEST_GUILESS_MAIN(TestDemoProject)
#include "test_demo_project.moc"
