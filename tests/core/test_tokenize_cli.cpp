// `vltune-cli tokenize` as a user runs it: stdin in, JSON out, errors that name the problem.

#include <fstream>

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include "core/io/safetensors.h"
#include "tests/cli_support.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using vltune::test::hf_fixtures_root;

namespace {

using Run = vltune::test::CliRun;

Run run_cli(const QStringList& args, const std::string& input) {
  return vltune::test::run_program(QStringLiteral(VLTUNE_CLI_PATH), args, {}, input);
}

QString path_arg(const fs::path& p) { return QString::fromStdString(p.string()); }

nlohmann::json read_json(const fs::path& path) { return nlohmann::json::parse(std::ifstream(path)); }

}  // namespace

class TestTokenizeCli : public QObject {
  Q_OBJECT

 private slots:
  // Plain text: the ids of each fixture tokenizer's reference strings, with and without --special.
  void plainTextMatchesReference_data() {
    QTest::addColumn<QString>("family");
    for (const auto& family : vltune::test::hf_fixture_families())
      if (fs::exists(hf_fixtures_root() / family / "tokenizer_reference.json"))
        QTest::newRow(family.c_str()) << QString::fromStdString(family);
  }
  void plainTextMatchesReference() {
    QFETCH(QString, family);
    const fs::path dir = hf_fixtures_root() / family.toStdString();
    const nlohmann::json cases = read_json(dir / "tokenizer_reference.json");
    QVERIFY(!cases.empty());
    const nlohmann::json& c = cases.at(0);
    const Run plain = run_cli({"tokenize", "--tokenizer", path_arg(dir / "model")}, c["text"]);
    QVERIFY2(plain.code == 0, plain.err.c_str());
    QCOMPARE(nlohmann::json::parse(plain.out), c["ids"]);
    const Run special = run_cli({"tokenize", "--tokenizer", path_arg(dir / "model" / "tokenizer.json"), "--special"},
                                c["text"]);
    QVERIFY2(special.code == 0, special.err.c_str());
    QCOMPARE(nlohmann::json::parse(special.out), c["ids_with_special"]);
  }

  // --template: ids and labels; the answer is learned, the prompt is not.
  void templateGivesIdsAndLabels() {
    const fs::path model = hf_fixtures_root() / "qwen2_vl" / "model";
    const std::string conv = R"({"messages": [{"role": "user", "content": "<image>What is it?"},
                                              {"role": "assistant", "content": "A gradient."}],
                                 "images": [{"width": 300, "height": 200}]})";
    const Run r = run_cli({"tokenize", "--tokenizer", path_arg(model), "--template", "qwen2_vl"}, conv);
    QVERIFY2(r.code == 0, r.err.c_str());
    const auto out = nlohmann::json::parse(r.out);
    const auto ids = out["input_ids"].get<std::vector<int64_t>>();
    const auto labels = out["labels"].get<std::vector<int64_t>>();
    QCOMPARE(ids.size(), labels.size());
    // The image's <|image_pad|> run: reference.json's count for this image and processor.
    const nlohmann::json ref = read_json(hf_fixtures_root() / "qwen2_vl" / "reference.json");
    const int64_t pad = ref["tokenizer"]["special_ids"]["<|image_pad|>"];
    QCOMPARE(int64_t(std::count(ids.begin(), ids.end(), pad)), ref["n_image_tokens"].get<int64_t>());
    QCOMPARE(labels.front(), int64_t(-100));
    QCOMPARE(labels.back(), ids.back());
    QVERIFY(out["notes"].empty());

    // The same sizes on the command line.
    const std::string bare = R"([{"role": "user", "content": "<image>What is it?"},
                                 {"role": "assistant", "content": "A gradient."}])";
    const Run sized = run_cli({"tokenize", "--tokenizer", path_arg(model), "--template", "qwen2_vl",
                               "--image-size", "300x200"}, bare);
    QVERIFY2(sized.code == 0, sized.err.c_str());
    QCOMPARE(nlohmann::json::parse(sized.out)["input_ids"], out["input_ids"]);
  }

  // --chat with the checkpoint's own (llava-hf) chat template reproduces the LlavaProcessor
  // reference ids of processor_e2e.safetensors.
  void chatWithOwnTemplateMatchesProcessor() {
    const fs::path fixture = hf_fixtures_root() / "llava";
    const nlohmann::json e2e = read_json(fixture / "reference.json")["e2e"];
    vltune::test::TempDir dir;
    for (const char* f : {"config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json"})
      fs::copy_file(fixture / "model" / f, dir.path() / f);
    std::ofstream(dir.path() / "chat_template.json") << nlohmann::json{
        {"chat_template",
         "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': '}}"
         "{% endif %}{# Render all images first #}{% for content in message['content'] | selectattr('type', 'equalto', "
         "'image') %}{{ '<image>\n' }}{% endfor %}{# Render all text next #}{% if message['role'] != 'assistant' %}"
         "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] + ' '}}"
         "{% endfor %}{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
         "{% generation %}{{ content['text'] + ' '}}{% endgeneration %}{% endfor %}{% endif %}{% endfor %}"
         "{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"}}.dump();
    const fs::path image = hf_fixtures_root() / "images" / e2e["image"].get<std::string>();
    const std::string conv = nlohmann::json{{"messages", {{{"role", "user"}, {"content", "<image>What is it?"}}}},
                                            {"images", {image.string()}}}.dump();
    const Run r = run_cli({"tokenize", "--tokenizer", path_arg(dir.path()), "--chat"}, conv);
    QVERIFY2(r.code == 0, r.err.c_str());
    const auto out = nlohmann::json::parse(r.out);

    const auto file = vltune::io::SafetensorsFile::open(fixture / "processor_e2e.safetensors");
    const at::Tensor want = file.tensor("e2e.input_ids").to(at::kLong).contiguous().flatten();
    const std::vector<int64_t> want_ids(want.data_ptr<int64_t>(), want.data_ptr<int64_t>() + want.numel());
    QCOMPARE(out["input_ids"].get<std::vector<int64_t>>(), want_ids);
    QVERIFY2(out["notes"].dump().find("the checkpoint's own") != std::string::npos, r.out.c_str());
  }

  void badInputIsReported_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("input");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    const QString model = path_arg(hf_fixtures_root() / "qwen2_vl" / "model");
    QTest::newRow("unknown template") << QStringList{"tokenize", "--tokenizer", model, "--template", "chatml"}
                                      << "[]" << 1 << "valid templates: llava, qwen2_vl, smolvlm";
    QTest::newRow("marker mismatch") << QStringList{"tokenize", "--tokenizer", model, "--template", "qwen2_vl"}
                                     << R"([{"role":"user","content":"<image><image>Hi"},{"role":"assistant","content":"Yo"}])"
                                     << 1 << "stdin: 2 <image> marker(s) in the messages but 0 image(s)";
    QTest::newRow("not json") << QStringList{"tokenize", "--tokenizer", model, "--template", "qwen2_vl"}
                              << "USER: hi" << 1 << "stdin";
    QTest::newRow("bad image size") << QStringList{"tokenize", "--tokenizer", model, "--template", "qwen2_vl",
                                                   "--image-size", "300by200"}
                                    << "[]" << 1 << "300by200";
    QTest::newRow("missing tokenizer") << QStringList{"tokenize", "--tokenizer", "/nonexistent/tok.json"} << "hi" << 1
                                       << "/nonexistent/tok.json";
    QTest::newRow("no tokenizer option") << QStringList{"tokenize"} << "hi" << 2 << "--tokenizer is required";
  }
  void badInputIsReported() {
    QFETCH(QStringList, args);
    QFETCH(QString, input);
    QFETCH(int, code);
    QFETCH(QString, message);
    const Run r = run_cli(args, input.toStdString());
    QCOMPARE(r.code, code);
    QVERIFY2(r.err.find(message.toStdString()) != std::string::npos, r.err.c_str());
  }

  void helpDescribesConversationJson() {
    const Run r = run_cli({"tokenize", "--help"}, "");
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.find("\"images\"") != std::string::npos);
    QVERIFY(r.out.find("--image-size") != std::string::npos);
  }
};

QTEST_GUILESS_MAIN(TestTokenizeCli)
#include "test_tokenize_cli.moc"
