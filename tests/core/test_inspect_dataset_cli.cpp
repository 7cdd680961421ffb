// `vltune-cli inspect <dataset>` as users run it in their pipelines: one JSON object on stdout,
// exit 0 clean / 1 problems / 2 unreadable, every problem with its file and row.

#include <set>
#include <tuple>

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include "core/io/hf_config.h"
#include "tests/cli_support.h"
#include "tests/test_support.h"
#include "tests/tiny_png.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace vltune;

namespace {

using Run = vltune::test::CliRun;

Run run_cli(const QStringList& args) {
  return vltune::test::run_program(QStringLiteral(VLTUNE_CLI_PATH), args);
}

QString arg(const fs::path& p) { return QString::fromStdString(p.string()); }

// The pokemon_sharegpt layout of USER_SCENARIOS.md scenario 1, with `rows` as its JSON list.
void write_pokemon(const fs::path& root, const json& rows) {
  test::write_text(root / "dataset_info.json",
                   json{{"pokemon_multimodal",
                         {{"file_name", "pokemon_sharegpt.json"},
                          {"formatting", "sharegpt"},
                          {"columns", {{"messages", "conversations"}, {"images", "images"}}}}}}
                       .dump(2));
  test::write_png(root / "images/pokemon_0001.png", 120, 90, 1);
  test::write_png(root / "images/pokemon_0002.png", 64, 64, 2);
  test::write_text(root / "pokemon_sharegpt.json", rows.dump(2));
}

json pokemon_row(const std::string& image, const std::string& answer) {
  return {{"conversations",
           {{{"from", "human"}, {"value", "详细描述一下这只宝可梦。<image>"}}, {{"from", "gpt"}, {"value", answer}}}},
          {"images", {image}}};
}

// The model of the fixture set's Qwen2-VL family (empty when the set has none).
fs::path qwen_fixture_model() {
  const auto families = test::fixture_families_of({io::ModelFamily::qwen2_vl});
  return families.empty() ? fs::path() : test::hf_fixtures_root() / families.front() / "model";
}

std::set<std::tuple<std::string, int64_t, std::string>> problem_set(const json& report) {
  std::set<std::tuple<std::string, int64_t, std::string>> out;
  for (const auto& p : report.at("problems"))
    out.insert({p.at("file").get<std::string>(), p.at("row").get<int64_t>(), p.at("kind").get<std::string>()});
  return out;
}

}  // namespace

class TestInspectDatasetCli : public QObject {
  Q_OBJECT
 private slots:
  void pokemonWithProblems();
  void cleanDatasetExitsZero();
  void malformedJsonlReportsLineAndColumn();
  void unreadableInputExitsTwo();
  void captionFolderAndCheckpointStillInspected();
};

void TestInspectDatasetCli::pokemonWithProblems() {
  test::TempDir dir;
  write_pokemon(dir.path(), json::array({pokemon_row("images/pokemon_0001.png", "这是皮卡丘，电气属性。"),
                                         pokemon_row("images/pokemon_0002.png", "这是妙蛙种子。"),
                                         pokemon_row("images/pokemon_0099.png", "这是谁？"),
                                         pokemon_row("images/pokemon_0001.png", "这是皮卡丘，电气属性。"),
                                         pokemon_row("images/pokemon_0002.png", "   ")}));
  QStringList args{"inspect", arg(dir.path())};
  const fs::path model = qwen_fixture_model();
  if (!model.empty()) args << "--model" << arg(model) << "--cutoff-len" << "4096";
  const Run r = run_cli(args);
  QVERIFY2(r.code == 1, (r.out + r.err).c_str());
  const json report = json::parse(r.out);
  QCOMPARE(report.at("format").get<std::string>(), std::string("llamafactory"));
  QVERIFY(test::contains(report.at("detected_because").get<std::string>(), "dataset_info.json"));
  QCOMPARE(report.at("samples").get<int64_t>(), int64_t{5});
  QCOMPARE(report.at("images").get<int64_t>(), int64_t{2});
  QCOMPARE(report.at("rows_with_problems").get<int64_t>(), int64_t{3});
  const std::set<std::tuple<std::string, int64_t, std::string>> expected = {
      {"pokemon_sharegpt.json", 2, "missing_image"},
      {"pokemon_sharegpt.json", 3, "duplicate"},
      {"pokemon_sharegpt.json", 4, "empty_answer"}};
  QCOMPARE(problem_set(report), expected);
  for (const auto& p : report.at("problems")) QVERIFY(!p.at("message").get<std::string>().empty());
  QCOMPARE(report.at("image_sizes").at("width").at("max").get<int64_t>(), int64_t{120});
  if (!model.empty()) {
    const json& tokens = report.at("tokens");
    QCOMPARE(tokens.at("template").get<std::string>(), std::string("qwen2_vl"));
    QCOMPARE(tokens.at("count").get<int64_t>(), int64_t{3});  // the rows that can be encoded
    QVERIFY(tokens.at("min").get<int64_t>() > 10);
  } else {
    QVERIFY(report.at("tokens").is_null());
  }
}

void TestInspectDatasetCli::cleanDatasetExitsZero() {
  test::TempDir dir;
  write_pokemon(dir.path(), json::array({pokemon_row("images/pokemon_0001.png", "这是皮卡丘。"),
                                         pokemon_row(arg(dir.path() / "images/pokemon_0002.png").toStdString(), "妙蛙种子。")}));
  const Run r = run_cli({"inspect", arg(dir.path())});
  QVERIFY2(r.code == 0, (r.out + r.err).c_str());
  const json report = json::parse(r.out);
  QCOMPARE(report.at("problems").size(), size_t{0});
  QCOMPARE(report.at("samples").get<int64_t>(), int64_t{2});
  QCOMPARE(report.at("usable_samples").get<int64_t>(), int64_t{2});
  QVERIFY(report.at("tokens").is_null());
  QVERIFY(report.contains("tokens_note"));
}

void TestInspectDatasetCli::malformedJsonlReportsLineAndColumn() {
  test::TempDir dir;
  const std::string good = R"({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]})";
  const std::string good2 = R"({"messages": [{"role": "user", "content": "Yo"}, {"role": "assistant", "content": "Hey."}]})";
  test::write_text(dir.path() / "chat.jsonl", good + "\n" + R"({"messages": [{"role": "user", "content": "Hi"},)" + "\n" + good2 + "\n");
  const Run r = run_cli({"inspect", arg(dir.path() / "chat.jsonl")});
  QVERIFY2(r.code == 1, (r.out + r.err).c_str());
  const json report = json::parse(r.out);
  QCOMPARE(report.at("format").get<std::string>(), std::string("openai_messages"));
  QCOMPARE(report.at("samples").get<int64_t>(), int64_t{2});
  QCOMPARE(report.at("problems").size(), size_t{1});
  const json& p = report.at("problems").at(0);
  QCOMPARE(p.at("kind").get<std::string>(), std::string("bad_json"));
  QCOMPARE(p.at("row").get<int64_t>(), int64_t{1});
  QCOMPARE(p.at("line").get<int64_t>(), int64_t{2});
  QVERIFY(p.at("column").get<int64_t>() > 0);
}

void TestInspectDatasetCli::unreadableInputExitsTwo() {
  test::TempDir dir;
  Run r = run_cli({"inspect", arg(dir.path() / "nowhere")});
  QCOMPARE(r.code, 2);
  QVERIFY2(test::contains(r.err, "nowhere"), r.err.c_str());

  test::write_text(dir.path() / "lf/dataset_info.json", "{\"a\": {\"file_name\": \"x.json\",\n  oops}\n");
  r = run_cli({"inspect", arg(dir.path() / "lf")});
  QCOMPARE(r.code, 2);
  QVERIFY2(test::contains(r.err, "dataset_info.json"), r.err.c_str());
  QVERIFY2(test::contains(r.err, "line 2"), r.err.c_str());

  test::write_text(dir.path() / "empty/readme.md", "nothing here");
  r = run_cli({"inspect", arg(dir.path() / "empty")});
  QCOMPARE(r.code, 2);
  QVERIFY(!r.err.empty());

  r = run_cli({"inspect", arg(dir.path()), "--cutoff-len", "zero"});
  QCOMPARE(r.code, 2);
  QVERIFY2(test::contains(r.err, "--cutoff-len"), r.err.c_str());
}

void TestInspectDatasetCli::captionFolderAndCheckpointStillInspected() {
  test::TempDir dir;
  test::write_png(dir.path() / "caps/a/cat.png", 32, 32, 3);
  test::write_text(dir.path() / "caps/a/cat.txt", "a cat on a mat\n");
  test::write_png(dir.path() / "caps/dog.png", 48, 32, 4);
  test::write_text(dir.path() / "caps/dog.txt", "a dog");
  Run r = run_cli({"inspect", arg(dir.path() / "caps"), "--caption-prompt", "Describe the image."});
  QVERIFY2(r.code == 0, (r.out + r.err).c_str());
  json report = json::parse(r.out);
  QCOMPARE(report.at("format").get<std::string>(), std::string("image_captions"));
  QCOMPARE(report.at("samples").get<int64_t>(), int64_t{2});
  QCOMPARE(report.at("images").get<int64_t>(), int64_t{2});

  // A checkpoint folder is still summarised as one.
  const auto families = test::hf_fixture_families();
  QVERIFY(!families.empty());
  r = run_cli({"inspect", arg(test::hf_fixtures_root() / families.front() / "model"), "--json"});
  QVERIFY2(r.code == 0, (r.out + r.err).c_str());
  report = json::parse(r.out);
  QVERIFY(report.contains("weights"));
}

QTEST_GUILESS_MAIN(TestInspectDatasetCli)
#include "test_inspect_dataset_cli.moc"
