// safetensors reader and writer: bit-exact round trips for every dtype, zero-copy views, and a
// clear error (naming the file and the tensor) for every kind of malformed file.

#include <cstring>
#include <fstream>

#include <ATen/ATen.h>
#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_writer.h"
#include "tests/test_support.h"

using vltune::io::SafetensorsFile;
namespace fs = std::filesystem;

namespace {

// A file made of a raw header string and `data_bytes` bytes of data.
fs::path write_raw(const fs::path& dir, const std::string& name, const std::string& header,
                   size_t data_bytes, std::optional<uint64_t> claimed_len = std::nullopt) {
  const fs::path path = dir / name;
  std::ofstream out(path, std::ios::binary);
  uint64_t n = claimed_len.value_or(header.size());
  for (int i = 0; i < 8; ++i, n >>= 8) out.put(static_cast<char>(n & 0xff));
  out << header;
  for (size_t i = 0; i < data_bytes; ++i) out.put(static_cast<char>(i & 0x7f));
  return path;
}

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string tensor_bytes(const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  return {static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.nbytes())};
}

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT

 private slots:
  void roundTripEveryDtypeIsBitExact() {
    vltune::test::TempDir dir;
    at::manual_seed(7);
    const at::Tensor base = at::randn({3, 5}) * 100;
    const vltune::io::NamedTensors tensors = {
        {"f32", base},
        {"f16", base.to(at::kHalf)},
        {"bf16", base.to(at::kBFloat16)},
        {"f64", base.to(at::kDouble)},
        {"i64", base.to(at::kLong)},
        {"i32", base.to(at::kInt)},
        {"i16", base.to(at::kShort)},
        {"i8", base.clamp(-128, 127).to(at::kChar)},
        {"u8", base.abs().clamp(0, 255).to(at::kByte)},
        {"bool", base > 0},
        {"scalar", at::scalar_tensor(3.5)},
        {"empty", at::empty({0, 4})},
        {"strided", base.t()},  // non-contiguous input is stored contiguous
    };
    const fs::path path = dir.path() / "all.safetensors";
    vltune::io::save_safetensors(path, tensors, {{"format", "pt"}, {"note", "round trip"}});

    const auto file = SafetensorsFile::open(path);
    QCOMPARE(file.tensors().size(), tensors.size());
    QCOMPARE(file.metadata().at("format"), std::string("pt"));
    QCOMPARE(file.metadata().at("note"), std::string("round trip"));
    for (const auto& [name, original] : tensors) {
      const at::Tensor loaded = file.tensor(name);
      QCOMPARE(loaded.scalar_type(), original.scalar_type());
      QCOMPARE(loaded.sizes().vec(), original.sizes().vec());
      QVERIFY2(tensor_bytes(loaded) == tensor_bytes(original), name.c_str());
      QVERIFY2(std::string(file.tensor_bytes(name)) == tensor_bytes(original), name.c_str());
    }
  }

  void layoutMatchesPythonSafetensors() {
    // Python's writer: header padded with spaces to 8 bytes, data sorted by dtype size
    // (largest first) then by name, offsets contiguous from 0.
    vltune::test::TempDir dir;
    const fs::path path = dir.path() / "layout.safetensors";
    vltune::io::save_safetensors(path, {{"b", at::ones({3}, at::kHalf)},
                                        {"a", at::ones({2}, at::kHalf)},
                                        {"z", at::ones({1}, at::kLong)},
                                        {"m", at::ones({5}, at::kByte)}});
    const std::string bytes = file_bytes(path);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
    QCOMPARE(n % 8, uint64_t{0});
    const auto header = nlohmann::json::parse(bytes.substr(8, n));
    QCOMPARE(header["z"]["data_offsets"], nlohmann::json({0, 8}));
    QCOMPARE(header["a"]["data_offsets"], nlohmann::json({8, 12}));
    QCOMPARE(header["b"]["data_offsets"], nlohmann::json({12, 18}));
    QCOMPARE(header["m"]["data_offsets"], nlohmann::json({18, 23}));
    QCOMPARE(bytes.size(), size_t(8 + n + 23));
    QVERIFY(!header.contains("__metadata__"));  // only written when given
  }

  void tensorsViewTheMappingWithoutCopying() {
    vltune::test::TempDir dir;
    const fs::path path = dir.path() / "view.safetensors";
    vltune::io::save_safetensors(path, {{"w", at::arange(16, at::kFloat)}});
    at::Tensor view;
    {
      const auto file = SafetensorsFile::open(path);
      view = file.tensor("w");
      QCOMPARE(static_cast<const void*>(view.data_ptr()),
               static_cast<const void*>(file.tensor_bytes("w").data()));
    }
    // The tensor keeps the mapping alive after the file object is gone...
    QCOMPARE(view[15].item<float>(), 15.0f);
    // ...and writing to it is private to this process: the file is unchanged.
    view.fill_(-1);
    QCOMPARE(SafetensorsFile::open(path).tensor("w")[3].item<float>(), 3.0f);
  }

  void misalignedDataIsCopiedCorrectly() {
    // A header whose length is not a multiple of 4 puts F32 data off alignment.
    vltune::test::TempDir dir;
    const std::string header = R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    QVERIFY(header.size() % 4 != 0);
    const fs::path path = dir.path() / "odd.safetensors";
    {
      std::ofstream out(path, std::ios::binary);
      uint64_t n = header.size();
      for (int i = 0; i < 8; ++i, n >>= 8) out.put(static_cast<char>(n & 0xff));
      out << header;
      const float values[2] = {1.25f, -2.5f};
      out.write(reinterpret_cast<const char*>(values), sizeof values);
    }
    const at::Tensor x = SafetensorsFile::open(path).tensor("x");
    QCOMPARE(x[0].item<float>(), 1.25f);
    QCOMPARE(x[1].item<float>(), -2.5f);
  }

  void badFilesGiveErrorsNamingFileAndTensor_data() {
    QTest::addColumn<QString>("header");
    QTest::addColumn<int>("dataBytes");
    QTest::addColumn<qint64>("claimedLength");  // -1: the real header length
    QTest::addColumn<QString>("expected");       // substring of the message

    const QString ok = R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
    QTest::newRow("truncated data") << ok << 10 << qint64(-1) << "tensor \"w\": data_offsets end 16 is outside";
    QTest::newRow("header longer than file") << ok << 16 << qint64(4096) << "runs past the end";
    QTest::newRow("absurd header length") << ok << 16 << qint64(1) << "not valid JSON";
    QTest::newRow("huge header length") << ok << 16 << (qint64(1) << 40) << "larger than the format allows";
    QTest::newRow("offset outside data")
        << R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[100,108]}})" << 16 << qint64(-1)
        << "tensor \"w\": data_offsets end 108 is outside";
    QTest::newRow("unknown dtype")
        << R"({"w":{"dtype":"F13","shape":[2],"data_offsets":[0,8]}})" << 8 << qint64(-1)
        << "tensor \"w\": unknown dtype \"F13\"";
    QTest::newRow("size mismatch")
        << R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})" << 16 << qint64(-1)
        << "tensor \"w\": data_offsets span 8 bytes but dtype and shape need 12";
    QTest::newRow("overlap")
        << R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})"
        << 16 << qint64(-1) << "tensor \"b\": data overlaps tensor \"a\"";
    QTest::newRow("begin after end")
        << R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[8,4]}})" << 16 << qint64(-1)
        << "tensor \"w\": data_offsets begin is after end";
    QTest::newRow("negative dim")
        << R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})" << 16 << qint64(-1)
        << "tensor \"w\": shape has a non-integer or negative dimension";
    QTest::newRow("overflowing shape")
        << R"({"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})" << 16
        << qint64(-1) << "tensor \"w\": shape is too large";
    QTest::newRow("missing offsets") << R"({"w":{"dtype":"F32","shape":[1]}})" << 4 << qint64(-1)
                                     << "tensor \"w\": \"data_offsets\" must be";
    QTest::newRow("duplicate name")
        << R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})"
        << 2 << qint64(-1) << "tensor \"w\": appears twice";
    QTest::newRow("not json") << "{this is not json" << 0 << qint64(-1) << "header is not valid JSON";
    QTest::newRow("not an object") << "[1,2,3]" << 0 << qint64(-1) << "header is not a JSON object";
    QTest::newRow("bad metadata") << R"({"__metadata__":{"k":1}})" << 0 << qint64(-1)
                                  << "__metadata__ entry \"k\" is not a string";
  }

  void badFilesGiveErrorsNamingFileAndTensor() {
    QFETCH(QString, header);
    QFETCH(int, dataBytes);
    QFETCH(qint64, claimedLength);
    QFETCH(QString, expected);
    vltune::test::TempDir dir;
    std::optional<uint64_t> claimed;
    if (claimedLength >= 0) claimed = static_cast<uint64_t>(claimedLength);
    const fs::path path = write_raw(dir.path(), "bad.safetensors", header.toStdString(),
                                    static_cast<size_t>(dataBytes), claimed);
    try {
      SafetensorsFile::open(path);
      QFAIL("no exception");
    } catch (const vltune::FormatError& e) {
      const std::string msg = e.what();
      QVERIFY2(msg.find(path.string()) != std::string::npos, e.what());
      QVERIFY2(msg.find(expected.toStdString()) != std::string::npos, e.what());
    }
  }

  void tooShortAndMissingFiles() {
    vltune::test::TempDir dir;
    const fs::path tiny = dir.path() / "tiny.safetensors";
    std::ofstream(tiny) << "abc";
    QVERIFY_THROWS_EXCEPTION(vltune::FormatError, SafetensorsFile::open(tiny));
    const fs::path empty = dir.path() / "empty.safetensors";
    std::ofstream{empty};
    QVERIFY_THROWS_EXCEPTION(vltune::FormatError, SafetensorsFile::open(empty));
    QVERIFY_THROWS_EXCEPTION(vltune::FileError, SafetensorsFile::open(dir.path() / "nope.safetensors"));
    QVERIFY_THROWS_EXCEPTION(vltune::FileError, SafetensorsFile::open(dir.path()));  // a folder
  }

  void unknownTensorNameIsNamed() {
    vltune::test::TempDir dir;
    const fs::path path = dir.path() / "one.safetensors";
    vltune::io::save_safetensors(path, {{"w", at::ones({1})}});
    const auto file = SafetensorsFile::open(path);
    try {
      file.tensor("lm_head.weight");
      QFAIL("no exception");
    } catch (const vltune::FormatError& e) {
      QVERIFY2(std::string(e.what()).find("\"lm_head.weight\"") != std::string::npos, e.what());
    }
  }

  void failedWriteLeavesExistingFileAndNoTemp() {
    vltune::test::TempDir dir;
    const fs::path path = dir.path() / "keep.safetensors";
    vltune::io::save_safetensors(path, {{"w", at::ones({4})}});
    const std::string before = file_bytes(path);
    QVERIFY_THROWS_EXCEPTION(vltune::FormatError,
                             vltune::io::save_safetensors(path, {{"a", at::ones({1})}, {"a", at::ones({1})}}));
    QVERIFY_THROWS_EXCEPTION(vltune::FormatError,
                             vltune::io::save_safetensors(path, {{"__metadata__", at::ones({1})}}));
    QVERIFY_THROWS_EXCEPTION(vltune::FormatError,
                             vltune::io::save_safetensors(path, {{"c", at::ones({1}, at::kComplexFloat)}}));
    QCOMPARE(file_bytes(path), before);
    QCOMPARE(vltune::test::entry_count(dir.path()), 1);
  }

  void headerParserStandsAlone() {
    const auto header = vltune::io::parse_safetensors_header(
        R"({"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},"a":{"dtype":"I8","shape":[4],"data_offsets":[0,4]}})",
        8, "mem");
    QCOMPARE(header.tensors.size(), size_t(2));
    QCOMPARE(header.tensors[0].name, std::string("a"));  // sorted by name
    QCOMPARE(header.tensors[1].dtype, vltune::io::DType::BF16);
    QCOMPARE(header.tensors[1].numel(), int64_t{2});
  }
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
