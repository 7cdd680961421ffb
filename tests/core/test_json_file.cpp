// read_json_file / typed getters / atomic writes: errors name the file, line and key.

#include <fstream>

#include <QtTest/QtTest>

#include "core/error.h"
#include "core/io/json_file.h"
#include "tests/test_support.h"

using vltune::io::Json;

class TestJsonFile : public QObject {
  Q_OBJECT

 private slots:
  void syntaxErrorNamesFileAndLine() {
    vltune::test::TempDir dir;
    const auto path = dir.path() / "config.json";
    std::ofstream(path) << "{\n  \"a\": 1,\n  \"b\": }\n";
    try {
      vltune::io::read_json_file(path);
      QFAIL("no exception");
    } catch (const vltune::FormatError& e) {
      const std::string msg = e.what();
      QVERIFY2(msg.find(path.string()) != std::string::npos, e.what());
      QVERIFY2(msg.find("line 3") != std::string::npos, e.what());
    }
  }

  void missingFileIsFileError() {
    QVERIFY_THROWS_EXCEPTION(vltune::FileError, vltune::io::read_json_file("/nonexistent/x.json"));
  }

  void typedGetters() {
    const Json j = Json::parse(R"({"i": 3, "f": 1.5, "s": "x", "v": [1, 2], "n": null,
                                   "big": 1e30, "exact": 4.0})");
    QCOMPARE(vltune::io::get_required<int64_t>(j, "i", "t"), int64_t{3});
    QCOMPARE(vltune::io::get_required<double>(j, "i", "t"), 3.0);
    QCOMPARE(vltune::io::get_or<std::string>(j, "missing", "d", "t"), std::string("d"));
    QCOMPARE(vltune::io::get_or<int64_t>(j, "n", 7, "t"), int64_t{7});  // null counts as absent
    QCOMPARE(vltune::io::get_required<int64_t>(j, "exact", "t"), int64_t{4});
    QCOMPARE((vltune::io::get_required<std::vector<int64_t>>(j, "v", "t")),
             (std::vector<int64_t>{1, 2}));
    try {
      vltune::io::get_required<int64_t>(j, "s", "cfg.json: text_config");
      QFAIL("no exception");
    } catch (const vltune::FormatError& e) {
      QVERIFY2(std::string(e.what()).find("cfg.json: text_config: key \"s\" should be an integer") !=
                   std::string::npos,
               e.what());
    }
    QVERIFY_THROWS_EXCEPTION(vltune::FormatError, vltune::io::get_required<int64_t>(j, "big", "t"));
    QVERIFY_THROWS_EXCEPTION(vltune::FormatError, vltune::io::get_required<int64_t>(j, "zz", "t"));
  }

  void atomicWriteReplacesAndLeavesNoTemp() {
    vltune::test::TempDir dir;
    const auto path = dir.path() / "out.json";
    vltune::io::write_json_file_atomic(path, Json{{"a", 1}});
    vltune::io::write_json_file_atomic(path, Json{{"a", 2}});
    QCOMPARE(vltune::io::read_json_file(path)["a"].get<int>(), 2);
    QCOMPARE(vltune::test::entry_count(dir.path()), 1);
  }

  void atomicWriteIntoMissingFolderFailsCleanly() {
    QVERIFY_THROWS_EXCEPTION(vltune::FileError,
                             vltune::io::write_file_atomic("/nonexistent-dir/x.bin", "abc"));
  }
};

QTEST_APPLESS_MAIN(TestJsonFile)
#include "test_json_file.moc"
