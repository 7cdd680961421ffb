// vltune-cli as a user runs it: real processes, exit codes, and messages that name the problem.

#include <fstream>

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include "tests/cli_support.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace {

using Run = vltune::test::CliRun;

Run run_cli(const QStringList& args) {
  return vltune::test::run_program(QStringLiteral(VLTUNE_CLI_PATH), args);
}

}  // namespace

class TestCli : public QObject {
  Q_OBJECT

 private slots:
  void versionNamesLibTorch() {
    const Run r = run_cli({"version"});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.find("LibTorch") != std::string::npos, r.out.c_str());
  }

  void inspectEveryFixtureModel_data() {
    QTest::addColumn<QString>("folder");
    for (const auto& family : vltune::test::hf_fixture_families())
      QTest::newRow(family.c_str())
          << QString::fromStdString((vltune::test::hf_fixtures_root() / family / "model").string());
  }

  void inspectEveryFixtureModel() {
    QFETCH(QString, folder);
    const Run r = run_cli({"inspect", folder, "--json", "--tensors"});
    QVERIFY2(r.code == 0, r.err.c_str());
    const auto out = nlohmann::json::parse(r.out);
    const auto config = nlohmann::json::parse(std::ifstream(folder.toStdString() + "/config.json"));
    QCOMPARE(out["model_type"].get<std::string>(), config["model_type"].get<std::string>());

    // Tensor count and parameter total against the file's own header.
    const auto header =
        vltune::test::read_safetensors_header_json(folder.toStdString() + "/model.safetensors");
    size_t tensors = 0;
    int64_t parameters = 0;
    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") continue;
      ++tensors;
      int64_t numel = 1;
      for (int64_t d : entry["shape"].get<std::vector<int64_t>>()) numel *= d;
      parameters += numel;
    }
    QCOMPARE(out["tensors"].get<size_t>(), tensors);
    QCOMPARE(out["tensor_list"].size(), tensors);
    QCOMPARE(out["parameters"].get<int64_t>(), parameters);
  }

  void inspectTextOutputForAdapter() {
    const auto families = vltune::test::hf_fixture_families();
    QVERIFY(!families.empty());
    const fs::path adapter = vltune::test::hf_fixtures_root() / families.front() / "adapter";
    const Run r = run_cli({"inspect", QString::fromStdString(adapter.string())});
    QVERIFY2(r.code == 0, r.err.c_str());
    QVERIFY2(r.out.find("adapter_model.safetensors") != std::string::npos, r.out.c_str());
    QVERIFY2(r.out.find("adapter     yes") != std::string::npos, r.out.c_str());
  }

  void brokenCheckpointIsReportedNotCrashed() {
    vltune::test::TempDir dir;
    const fs::path bad = dir.path() / "model.safetensors";
    std::ofstream(bad) << "\x40\x00\x00\x00\x00\x00\x00\x00{\"w\":";
    const Run r = run_cli({"inspect", QString::fromStdString(dir.path().string())});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.find(bad.string()) != std::string::npos, r.err.c_str());
  }

  void usageErrors() {
    QCOMPARE(run_cli({}).code, 2);
    QCOMPARE(run_cli({"frobnicate"}).code, 2);
    QCOMPARE(run_cli({"inspect"}).code, 2);
    QCOMPARE(run_cli({"inspect", "--bogus", "x"}).code, 2);
    // A path that is not there could be a checkpoint or a dataset: either way the input could
    // not be read at all, which inspect reports with status 2 (issue 6).
    const Run missing = run_cli({"inspect", "/nonexistent/model"});
    QCOMPARE(missing.code, 2);
    QVERIFY2(missing.err.find("/nonexistent/model") != std::string::npos, missing.err.c_str());
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
