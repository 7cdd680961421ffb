// Checkpoints: every fixture model and adapter loads with the names, shapes and dtypes its own
// header declares (read independently here), sharded checkpoints resolve through their index,
// and broken ones name the missing shard or tensor.

#include <fstream>

#include <ATen/ATen.h>
#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/safetensors_writer.h"
#include "tests/test_support.h"

using vltune::io::Checkpoint;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_span(const fs::path& path, uint64_t begin, uint64_t end) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(begin));
  std::string out(end - begin, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  return out;
}

std::vector<fs::path> fixture_weight_files() {
  std::vector<fs::path> out;
  const fs::path root = vltune::test::hf_fixtures_root();
  for (const auto& family : vltune::test::hf_fixture_families())
    for (const char* sub : {"model/model.safetensors", "adapter/adapter_model.safetensors"})
      if (fs::exists(root / family / sub)) out.push_back(root / family / sub);
  return out;
}

// Splits a single-file checkpoint into `shards` files plus an index, the way transformers does.
void write_sharded(const fs::path& source, const fs::path& dir, int shards) {
  const Checkpoint ckpt = Checkpoint::open(source);
  const auto names = ckpt.names();
  json weight_map = json::object();
  for (int s = 0; s < shards; ++s) {
    const std::string file = "model-0000" + std::to_string(s + 1) + "-of-0000" +
                             std::to_string(shards) + ".safetensors";
    vltune::io::NamedTensors part;
    for (size_t i = s; i < names.size(); i += shards) {
      part.emplace_back(names[i], ckpt.tensor(names[i]));
      weight_map[names[i]] = file;
    }
    vltune::io::save_safetensors(dir / file, part, {{"format", "pt"}});
  }
  std::ofstream(dir / "model.safetensors.index.json")
      << json{{"metadata", {{"total_size", 123}}}, {"weight_map", weight_map}}.dump(2);
}

fs::path first_fixture_model() {
  const auto families = vltune::test::hf_fixture_families();
  if (families.empty()) return {};
  return vltune::test::hf_fixtures_root() / families.front() / "model" / "model.safetensors";
}

}  // namespace

class TestCheckpoint : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY2(!vltune::test::hf_fixture_families().empty(),
             ("no fixture families under " + vltune::test::hf_fixtures_root().string() +
              " (set VLTUNE_HF_FIXTURES)")
                 .c_str());
  }

  void fixtureCheckpointsMatchTheirHeaders_data() {
    QTest::addColumn<QString>("path");
    for (const fs::path& p : fixture_weight_files()) {
      const std::string tag = p.parent_path().parent_path().filename().string() + "/" +
                              p.parent_path().filename().string();
      QTest::newRow(tag.c_str()) << QString::fromStdString(p.string());
    }
  }

  void fixtureCheckpointsMatchTheirHeaders() {
    QFETCH(QString, path);
    const fs::path file = path.toStdString();
    uint64_t data_start = 0;
    const json header = vltune::test::read_safetensors_header_json(file, &data_start);
    // Open through the folder, as users do.
    const Checkpoint ckpt = Checkpoint::open(file.parent_path());
    QCOMPARE(ckpt.source(), file);

    size_t expected_count = 0;
    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") {
        for (const auto& [k, v] : entry.items()) QCOMPARE(ckpt.metadata().at(k), v.get<std::string>());
        continue;
      }
      ++expected_count;
      QVERIFY2(ckpt.contains(name), name.c_str());
      const auto& info = ckpt.info(name);
      QCOMPARE(std::string(vltune::io::dtype_name(info.dtype)), entry["dtype"].get<std::string>());
      QCOMPARE(info.shape, entry["shape"].get<std::vector<int64_t>>());
      const at::Tensor t = ckpt.tensor(name);
      QCOMPARE(t.sizes().vec(), entry["shape"].get<std::vector<int64_t>>());
      // The tensor's bytes are exactly the file's bytes at the declared offsets.
      const auto offsets = entry["data_offsets"].get<std::vector<uint64_t>>();
      const std::string expected = read_span(file, data_start + offsets[0], data_start + offsets[1]);
      const at::Tensor c = t.contiguous();
      QVERIFY2(std::memcmp(c.data_ptr(), expected.data(), expected.size()) == 0, name.c_str());
    }
    QCOMPARE(ckpt.size(), expected_count);
  }

  void shardedCheckpointEqualsSingleFile() {
    const fs::path source = first_fixture_model();
    vltune::test::TempDir dir;
    write_sharded(source, dir.path(), 3);
    const Checkpoint single = Checkpoint::open(source);
    const Checkpoint sharded = Checkpoint::open(dir.path());
    QCOMPARE(sharded.files().size(), size_t(3));
    QCOMPARE(sharded.source().filename().string(), std::string("model.safetensors.index.json"));
    QCOMPARE(sharded.names(), single.names());
    QCOMPARE(sharded.metadata().at("total_size"), std::string("123"));
    for (const auto& name : single.names()) {
      QVERIFY2(at::equal(sharded.tensor(name), single.tensor(name)), name.c_str());
      QVERIFY(sharded.file_of(name).filename().string().starts_with("model-0000"));
    }
    // A copy stays usable after the original is gone.
    Checkpoint copy = Checkpoint::open(dir.path());
    { Checkpoint other = copy; copy = other; }
    QVERIFY(at::equal(copy.tensor(single.names().front()), single.tensor(single.names().front())));
  }

  void missingShardNamesShardAndTensor() {
    vltune::test::TempDir dir;
    write_sharded(first_fixture_model(), dir.path(), 2);
    fs::remove(dir.path() / "model-00002-of-00002.safetensors");
    try {
      Checkpoint::open(dir.path());
      QFAIL("no exception");
    } catch (const vltune::FileError& e) {
      const std::string msg = e.what();
      QVERIFY2(msg.find("model-00002-of-00002.safetensors") != std::string::npos, e.what());
      QVERIFY2(msg.find("holding tensor \"") != std::string::npos, e.what());
    }
  }

  void indexNamingATensorTheShardLacks() {
    vltune::test::TempDir dir;
    write_sharded(first_fixture_model(), dir.path(), 2);
    json index = json::parse(std::ifstream(dir.path() / "model.safetensors.index.json"));
    index["weight_map"]["made.up.weight"] = "model-00001-of-00002.safetensors";
    std::ofstream(dir.path() / "model.safetensors.index.json") << index.dump();
    try {
      Checkpoint::open(dir.path());
      QFAIL("no exception");
    } catch (const vltune::FormatError& e) {
      QVERIFY2(std::string(e.what()).find("\"made.up.weight\"") != std::string::npos, e.what());
    }
  }

  void indexPointingOutsideItsFolderIsRefused() {
    vltune::test::TempDir dir;
    std::ofstream(dir.path() / "model.safetensors.index.json")
        << R"({"weight_map": {"w": "../elsewhere.safetensors"}})";
    QVERIFY_THROWS_EXCEPTION(vltune::FormatError, Checkpoint::open(dir.path()));
    std::ofstream(dir.path() / "model.safetensors.index.json") << R"({"metadata": {}})";
    QVERIFY_THROWS_EXCEPTION(vltune::FormatError, Checkpoint::open(dir.path()));
  }

  void folderWithoutWeights() {
    vltune::test::TempDir dir;
    try {
      Checkpoint::open(dir.path());
      QFAIL("no exception");
    } catch (const vltune::FileError& e) {
      QVERIFY2(std::string(e.what()).find("model.safetensors") != std::string::npos, e.what());
    }
    QVERIFY_THROWS_EXCEPTION(vltune::FileError, Checkpoint::open(dir.path() / "missing"));
  }
};

QTEST_APPLESS_MAIN(TestCheckpoint)
#include "test_checkpoint.moc"
