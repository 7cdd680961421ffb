// Dataset readers: every format read as its tool reads it (LLaMA-Factory sharegpt and alpaca,
// OpenAI messages, caption folders, COCO captions), detection and its reason, and what a broken
// row costs (bad_json with line and column, bad_encoding), on small datasets laid out here.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/error.h"
#include "core/io/image_header.h"
#include "tests/test_support.h"

using vltune::test::error_of;
#include "tests/tiny_png.h"

#include <QtTest/QtTest>

namespace fs = std::filesystem;
namespace data = vltune::data;
namespace test = vltune::test;
using data::ProblemKind;

namespace {

void write(const fs::path& path, const std::string& text) { test::write_text(path, text); }

void write_bytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
}

std::vector<const data::Problem*> problems_of(const data::Dataset& ds, ProblemKind kind) {
  std::vector<const data::Problem*> out;
  for (const auto& p : ds.problems)
    if (p.kind == kind) out.push_back(&p);
  return out;
}

std::string describe(const data::Dataset& ds) {
  std::string s;
  for (const auto& p : ds.problems)
    s += std::string(data::problem_kind_name(p.kind)) + " " + p.file + ":" + std::to_string(p.row) + " " + p.message + "\n";
  return s;
}

#define CHECK_NO_PROBLEMS(ds) QVERIFY2((ds).problems.empty(), describe(ds).c_str())

// The layout of USER_SCENARIOS.md scenario 1.
void make_pokemon(const fs::path& root) {
  test::write_png(root / "images/pokemon_0001.png", 32, 24);
  test::write_png(root / "images/pokemon_0002.png", 20, 40);
  write(root / "dataset_info.json", R"({"pokemon_multimodal": {"file_name": "pokemon_sharegpt.json", "formatting": "sharegpt",
      "columns": {"messages": "conversations", "images": "images"}}})");
  write(root / "pokemon_sharegpt.json", R"([
  {"conversations": [{"from": "human", "value": "详细描述一下这只宝可梦。<image>"},
                     {"from": "gpt", "value": "这是皮卡丘，一只电属性的宝可梦。"}],
   "images": ["images/pokemon_0001.png"]},
  {"conversations": [{"from": "human", "value": "<image>它是什么属性？"},
                     {"from": "gpt", "value": "水属性。"},
                     {"from": "human", "value": "它会进化吗？"},
                     {"from": "gpt", "value": "会。"}],
   "images": ["images/pokemon_0002.png"]}
])");
}

// An EXIF block (TIFF, big-endian) whose IFD0 holds only the orientation tag.
std::vector<uint8_t> exif_tiff(int orientation) {
  return {'M', 'M', 0, 42, 0, 0, 0, 8,  // big-endian, IFD0 at 8
          0, 1,                         // one entry: 0x0112 SHORT x1
          0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, static_cast<uint8_t>(orientation), 0, 0,
          0, 0, 0, 0};                  // no next IFD
}

// JPEG bytes as far as the frame header: SOI, an optional EXIF APP1 with `orientation`, SOF0.
std::vector<uint8_t> jpeg_header(int width, int height, int orientation = 0) {
  std::vector<uint8_t> b = {0xFF, 0xD8};
  if (orientation > 0) {
    b.insert(b.end(), {0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0});  // APP0 first, as cameras write
    const std::vector<uint8_t> tiff = exif_tiff(orientation);
    const size_t len = 2 + 6 + tiff.size();
    b.insert(b.end(), {0xFF, 0xE1, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len), 'E', 'x', 'i', 'f', 0, 0});
    b.insert(b.end(), tiff.begin(), tiff.end());
  }
  b.insert(b.end(), {0xFF, 0xC0, 0, 17, 8, static_cast<uint8_t>(height >> 8), static_cast<uint8_t>(height),
                     static_cast<uint8_t>(width >> 8), static_cast<uint8_t>(width), 3});
  b.insert(b.end(), 9, 0);  // component specs
  b.insert(b.end(), {0xFF, 0xD9});
  return b;
}

void put_le(std::vector<uint8_t>& b, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// A RIFF/WebP header whose first chunk is `chunk` with `payload`.
std::vector<uint8_t> webp_header(const char* chunk, const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> b = {'R', 'I', 'F', 'F'};
  put_le(b, static_cast<uint32_t>(4 + 8 + payload.size()), 4);
  b.insert(b.end(), {'W', 'E', 'B', 'P'});
  b.insert(b.end(), chunk, chunk + 4);
  put_le(b, static_cast<uint32_t>(payload.size()), 4);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

}  // namespace

class TestDatasetReaders : public QObject {
  Q_OBJECT

 private slots:
  void formatAndKindNames();
  void pokemonScenario();
  void datasetInfoFileItselfWorksLikeItsFolder();
  void sharegptTagsColumnsAndRoles();
  void sharegptFolderFileNameAndDatasetSelection();
  void alpacaHistoryColumnsAndDefaults();
  void remoteDatasetsAreNamedNotRead();
  void imagePathsResolve();
  void openaiMessages();
  void bareFilesAndLooseDataFile();
  void badJsonLinesKeepOtherRows();
  void badJsonListReportsLineAndColumn();
  void wrongShapeRowNamesTheKey();
  void badEncodingCostsOnlyItsRow();
  void cocoCaptions();
  void captionFolder();
  void captionFolderOfManyShardedPairs();
  void unreadableInputsThrow();
  void probeImageSizeFromHeaders();
  void toConversation();
};

void TestDatasetReaders::formatAndKindNames() {
  for (auto f : {data::DatasetFormat::llamafactory, data::DatasetFormat::openai_messages, data::DatasetFormat::image_captions,
                 data::DatasetFormat::coco_captions, data::DatasetFormat::sharegpt, data::DatasetFormat::alpaca})
    QVERIFY(data::parse_format(data::format_name(f)) == f);
  QVERIFY(!data::parse_format("parquet"));
  QCOMPARE(std::string(data::format_name(data::DatasetFormat::openai_messages)), std::string("openai_messages"));
  QCOMPARE(std::string(data::problem_kind_name(ProblemKind::image_count_mismatch)), std::string("image_count_mismatch"));
  QCOMPARE(std::string(data::problem_kind_name(ProblemKind::bad_json)), std::string("bad_json"));
}

void TestDatasetReaders::pokemonScenario() {
  test::TempDir dir;
  const fs::path root = dir.path() / "pokemon_sharegpt";
  make_pokemon(root);
  const data::Dataset ds = data::open_dataset(root);
  CHECK_NO_PROBLEMS(ds);
  QVERIFY(ds.format == data::DatasetFormat::llamafactory);
  QVERIFY2(test::contains(ds.detected_because, "dataset_info.json"), ds.detected_because.c_str());
  QVERIFY2(test::contains(ds.detected_because, "pokemon_multimodal (sharegpt)"), ds.detected_because.c_str());
  QCOMPARE(ds.root, root);
  QCOMPARE(ds.files.size(), size_t{1});
  QCOMPARE(ds.files[0].rows, int64_t{2});
  QCOMPARE(ds.files[0].name, std::string("pokemon_multimodal"));
  QCOMPARE(ds.records.size(), size_t{2});

  const data::Record& r0 = ds.records[0];
  QCOMPARE(r0.file, std::string("pokemon_sharegpt.json"));
  QCOMPARE(r0.row, int64_t{0});
  QCOMPARE(r0.dataset, std::string("pokemon_multimodal"));
  QCOMPARE(r0.turns.size(), size_t{2});
  QCOMPARE(r0.turns[0].role, std::string("user"));
  QCOMPARE(r0.turns[0].content, std::string("详细描述一下这只宝可梦。<image>"));
  QCOMPARE(r0.turns[1].role, std::string("assistant"));
  QCOMPARE(r0.turns[1].content, std::string("这是皮卡丘，一只电属性的宝可梦。"));
  QCOMPARE(r0.images.size(), size_t{1});
  QCOMPARE(r0.images[0].written, std::string("images/pokemon_0001.png"));
  QCOMPARE(r0.images[0].path, root / "images/pokemon_0001.png");
  QVERIFY(!r0.bad_encoding);
  QCOMPARE(ds.records[1].turns.size(), size_t{4});
  QCOMPARE(ds.records[1].row, int64_t{1});

  const vltune::text::Conversation conv = data::to_conversation(ds.records[1]);
  QCOMPARE(conv.label, std::string("pokemon_sharegpt.json row 1"));
  QCOMPARE(conv.messages.size(), size_t{4});
  QCOMPARE(conv.images.size(), size_t{1});
  QCOMPARE(conv.images[0], (vltune::text::ImageSize{20, 40}));
}

void TestDatasetReaders::datasetInfoFileItselfWorksLikeItsFolder() {
  test::TempDir dir;
  make_pokemon(dir.path());
  const data::Dataset a = data::open_dataset(dir.path() / "dataset_info.json");
  const data::Dataset b = data::open_dataset(dir.path().string() + "/");
  for (const data::Dataset* ds : {&a, &b}) {
    CHECK_NO_PROBLEMS(*ds);
    QVERIFY(ds->format == data::DatasetFormat::llamafactory);
    QCOMPARE(ds->root, dir.path());
    QCOMPARE(ds->records.size(), size_t{2});
    QCOMPARE(ds->records[0].images[0].path, dir.path() / "images/pokemon_0001.png");
  }
}

void TestDatasetReaders::sharegptTagsColumnsAndRoles() {
  test::TempDir dir;
  const fs::path root = dir.path();
  test::write_png(root / "a.png", 4, 4);
  write(root / "dataset_info.json", R"({
  "chat": {"file_name": "chat.jsonl", "formatting": "sharegpt",
           "columns": {"messages": "messages", "system": "sys", "images": "pics"},
           "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant",
                    "observation_tag": "tool_result", "function_tag": "tool_call", "system_tag": "system"}},
  "plain": {"file_name": "plain.json", "formatting": "sharegpt"},
  "mllm_demo": {"file_name": "mllm.json", "formatting": "sharegpt", "columns": {"messages": "messages", "images": "images"},
                "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"}}
})");
  // LLaMA-Factory's own mllm_demo entry: its tags name no system, observation or function tag.
  write(root / "mllm.json", R"([{"messages": [{"role": "system", "content": "Sys"}, {"role": "user", "content": "<image>Who?"},
                                              {"role": "assistant", "content": "Them."}, {"role": "observation", "content": "o"}],
                                 "images": ["a.png"]}])");
  write(root / "chat.jsonl",
        R"({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "<image>Hi"}, {"role": "assistant", "content": "Hello."}], "sys": "ignored: a leading system turn wins", "pics": ["a.png"]})"
        "\n"
        R"({"messages": [{"role": "user", "content": "Weather?"}, {"role": "tool_call", "content": "{\"name\": \"w\"}"}, {"role": "tool_result", "content": "sunny"}, {"role": "assistant", "content": "Sunny."}], "sys": "From the column."})"
        "\n"
        R"({"messages": [{"role": "user", "content": "Beep?"}, {"role": "robot", "content": "Beep."}]})"
        "\n");
  write(root / "plain.json", R"([{"conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}],
                                  "images": []}])");
  const data::Dataset ds = data::open_dataset(root);
  CHECK_NO_PROBLEMS(ds);  // unknown roles are validation's to report
  QCOMPARE(ds.records.size(), size_t{5});
  QVERIFY2(test::contains(ds.detected_because, "chat (sharegpt), plain (sharegpt), mllm_demo (sharegpt)"),
           ds.detected_because.c_str());

  const data::Record& r0 = ds.records[0];
  QCOMPARE(r0.system, std::string("Be brief."));
  QCOMPARE(r0.turns.size(), size_t{2});
  QCOMPARE(r0.turns[0].role, std::string("user"));
  QCOMPARE(r0.images.size(), size_t{1});
  QCOMPARE(r0.images[0].path, root / "a.png");
  QCOMPARE(r0.dataset, std::string("chat"));

  const data::Record& r1 = ds.records[1];
  QCOMPARE(r1.system, std::string("From the column."));
  QCOMPARE(r1.turns.size(), size_t{4});
  QCOMPARE(r1.turns[1].role, std::string("function"));
  QCOMPARE(r1.turns[1].content, std::string("{\"name\": \"w\"}"));
  QCOMPARE(r1.turns[2].role, std::string("observation"));

  QCOMPARE(ds.records[2].turns[1].role, std::string("robot"));  // kept as written
  QCOMPARE(ds.records[2].row, int64_t{2});
  QCOMPARE(ds.records[3].dataset, std::string("plain"));
  QCOMPARE(ds.records[3].file, std::string("plain.json"));
  QCOMPARE(ds.records[3].turns[0].role, std::string("user"));
  QVERIFY(ds.records[3].images.empty());

  const data::Record& mllm = ds.records[4];
  QCOMPARE(mllm.system, std::string("Sys"));  // a leading "system" turn, though no system tag is named
  QCOMPARE(mllm.turns.size(), size_t{3});
  QCOMPARE(mllm.turns[0].content, std::string("<image>Who?"));
  QCOMPARE(mllm.turns[2].role, std::string("observation"));  // no tag: kept as written
  QCOMPARE(mllm.images[0].path, root / "a.png");
}

void TestDatasetReaders::sharegptFolderFileNameAndDatasetSelection() {
  test::TempDir dir;
  const fs::path root = dir.path();
  write(root / "dataset_info.json", R"({
  "parts": {"file_name": "parts", "formatting": "sharegpt"},
  "qa": {"file_name": "qa.json"}
})");
  write(root / "parts/b.jsonl", R"({"conversations": [{"from": "human", "value": "b0"}, {"from": "gpt", "value": "x"}]})" "\n");
  write(root / "parts/a.json", R"([{"conversations": [{"from": "human", "value": "a0"}, {"from": "gpt", "value": "x"}]},
                                   {"conversations": [{"from": "human", "value": "a1"}, {"from": "gpt", "value": "x"}]}])");
  write(root / "parts/notes.md", "not data");
  write(root / "qa.json", R"([{"instruction": "q", "output": "a"}])");

  const data::Dataset all = data::open_dataset(root);
  QCOMPARE(all.records.size(), size_t{4});
  QCOMPARE(all.files.size(), size_t{3});
  QCOMPARE(all.records[0].file, std::string("parts/a.json"));  // the folder's files, sorted
  QCOMPARE(all.records[1].turns[0].content, std::string("a1"));
  QCOMPARE(all.records[2].file, std::string("parts/b.jsonl"));
  QCOMPARE(all.records[3].dataset, std::string("qa"));
  QCOMPARE(all.files[2].formatting, std::string("alpaca"));  // no "formatting": LLaMA-Factory's default
  // The markdown file is named, not silently skipped.
  QCOMPARE(all.problems.size(), size_t{1});
  QCOMPARE(all.problems[0].file, std::string("parts/notes.md"));
  QVERIFY2(test::contains(all.problems[0].message, ".md files are not read"), all.problems[0].message.c_str());

  data::OpenOptions only;
  only.datasets = {"qa"};
  const data::Dataset qa = data::open_dataset(root, only);
  CHECK_NO_PROBLEMS(qa);
  QCOMPARE(qa.records.size(), size_t{1});
  QCOMPARE(qa.records[0].turns[0].content, std::string("q"));

  only.datasets = {"nope"};
  const std::string error = error_of<vltune::FormatError>([&] { data::open_dataset(root, only); });
  QVERIFY2(test::contains(error, "\"nope\"") && test::contains(error, "parts, qa"), error.c_str());
}

void TestDatasetReaders::alpacaHistoryColumnsAndDefaults() {
  test::TempDir dir;
  const fs::path root = dir.path();
  test::write_png(root / "img/x.png", 3, 3);
  write(root / "dataset_info.json", R"({
  "custom": {"file_name": "custom.json", "formatting": "alpaca",
             "columns": {"prompt": "q", "query": "ctx", "response": "a", "history": "hist", "system": "sys", "images": "pics"}},
  "plain": {"file_name": "plain.jsonl"},
  "partial": {"file_name": "plain.jsonl", "columns": {"prompt": "instruction", "response": "output"}}
})");
  write(root / "custom.json", R"([
  {"q": "<image>What is it?", "ctx": "Be exact.", "a": "A square.", "sys": "You see images.",
   "hist": [["Hi", "Hello."], ["Ready?", "Yes."]], "pics": ["img/x.png"]},
  {"q": "Only an instruction", "ctx": "", "a": "Fine."}
])");
  write(root / "plain.jsonl",
        R"({"instruction": "Translate", "input": "chat", "output": "cat", "history": [["a", "b"]], "system": "not a column here"})"
        "\n"
        R"({"instruction": "", "input": "just input", "output": "ok"})"
        "\n");
  const data::Dataset ds = data::open_dataset(root);
  CHECK_NO_PROBLEMS(ds);
  QCOMPARE(ds.records.size(), size_t{6});
  const data::Record& r0 = ds.records[0];
  QCOMPARE(r0.system, std::string("You see images."));
  QCOMPARE(r0.turns.size(), size_t{6});
  QCOMPARE(r0.turns[0].content, std::string("Hi"));
  QCOMPARE(r0.turns[1].content, std::string("Hello."));
  QCOMPARE(r0.turns[3].role, std::string("assistant"));
  QCOMPARE(r0.turns[4].role, std::string("user"));
  QCOMPARE(r0.turns[4].content, std::string("<image>What is it?\nBe exact."));
  QCOMPARE(r0.turns[5].content, std::string("A square."));
  QCOMPARE(r0.images[0].path, root / "img/x.png");
  QCOMPARE(ds.records[1].turns[0].content, std::string("Only an instruction"));  // no "\n" for the empty input
  // LLaMA-Factory's defaults: no history or system column unless dataset_info.json names them.
  const data::Record& r2 = ds.records[2];
  QCOMPARE(r2.turns.size(), size_t{2});
  QCOMPARE(r2.turns[0].content, std::string("Translate\nchat"));
  QVERIFY(r2.system.empty());
  QCOMPARE(ds.records[3].turns[0].content, std::string("just input"));
  // A "columns" section replaces the defaults: "input" is not read when it is left out.
  QCOMPARE(ds.records[4].dataset, std::string("partial"));
  QCOMPARE(ds.records[4].turns[0].content, std::string("Translate"));
  QCOMPARE(ds.records[5].turns[0].content, std::string(""));
}

void TestDatasetReaders::remoteDatasetsAreNamedNotRead() {
  test::TempDir dir;
  const fs::path root = dir.path();
  write(root / "dataset_info.json", R"({
  "alpaca_en": {"hf_hub_url": "llamafactory/alpaca_en", "ms_hub_url": "llamafactory/alpaca_en"},
  "local": {"file_name": "local.json"},
  "scripted": {"script_url": "belle_multiturn"}
})");
  write(root / "local.json", R"([{"instruction": "q", "output": "a"}])");
  const data::Dataset ds = data::open_dataset(root);
  QCOMPARE(ds.records.size(), size_t{1});
  QCOMPARE(ds.problems.size(), size_t{1});
  const data::Problem& p = ds.problems[0];
  QCOMPARE(p.file, std::string("dataset_info.json"));
  QCOMPARE(p.row, int64_t{-1});
  QVERIFY2(test::contains(p.message, "alpaca_en (hf_hub_url)") && test::contains(p.message, "scripted (script_url)") &&
               test::contains(p.message, "not download"),
           p.message.c_str());

  data::OpenOptions only;
  only.datasets = {"alpaca_en"};
  const std::string error = error_of<vltune::FormatError>([&] { data::open_dataset(root, only); });
  QVERIFY2(test::contains(error, "alpaca_en") && test::contains(error, "hub"), error.c_str());
}

void TestDatasetReaders::imagePathsResolve() {
  test::TempDir dir;
  const fs::path root = dir.path() / "ds";
  const fs::path media = dir.path() / "media";
  const fs::path elsewhere = dir.path() / "elsewhere dir";
  test::write_png(media / "m.png", 2, 2);
  test::write_png(root / "both.png", 2, 2);
  test::write_png(media / "both.png", 2, 2);
  test::write_png(root / "r.png", 2, 2);
  test::write_png(root / "sub/f.png", 2, 2);
  test::write_png(elsewhere / "abs space.png", 2, 2);
  test::write_png(root / "win/w.png", 2, 2);
  const std::string abs = (elsewhere / "abs space.png").string();
  const std::string url = "file://" + elsewhere.string() + "/abs%20space.png";
  write(root / "dataset_info.json", R"({"d": {"file_name": "sub/rows.jsonl", "formatting": "sharegpt"}})");
  write(root / "sub/rows.jsonl",
        R"({"conversations": [{"from": "human", "value": "<image><image><image><image><image><image><image><image><image>"}, {"from": "gpt", "value": "ok"}], "images": ["m.png", "both.png", "r.png", "f.png", ")" +
            abs + R"(", ")" + url + R"(", "nowhere.png", "win\\w.png", "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="]})"
            "\n");
  data::OpenOptions options;
  options.media_dir = media;
  const data::Dataset ds = data::open_dataset(root, options);
  QCOMPARE(ds.records.size(), size_t{1});
  const auto& images = ds.records[0].images;
  QCOMPARE(images.size(), size_t{9});
  QCOMPARE(images[0].path, media / "m.png");                       // media_dir
  QCOMPARE(images[1].path, media / "both.png");                    // media_dir before the dataset folder
  QCOMPARE(images[2].path, root / "r.png");                        // the dataset folder
  QCOMPARE(images[3].path, root / "sub/f.png");                    // the data file's folder
  QCOMPARE(images[4].path, elsewhere / "abs space.png");           // absolute
  QCOMPARE(images[5].path, elsewhere / "abs space.png");           // file:// URL, percent-decoded
  QCOMPARE(images[5].written, url);
  QVERIFY(images[6].path.empty());                                 // missing: validation reports it
  QCOMPARE(images[7].path, root / "win/w.png");                    // written with Windows separators
  QVERIFY(images[8].path.empty());                                 // data: URL, reported here
  const auto missing = problems_of(ds, ProblemKind::missing_image);
  QCOMPARE(missing.size(), size_t{1});
  QVERIFY2(test::contains(missing[0]->message, "data: URL"), missing[0]->message.c_str());
  QCOMPARE(missing[0]->file, std::string("sub/rows.jsonl"));
  QCOMPARE(missing[0]->row, int64_t{0});
  QVERIFY(images[8].written.size() < 60);  // the base64 is not kept
  QCOMPARE(ds.problems.size(), size_t{1});
}

void TestDatasetReaders::openaiMessages() {
  test::TempDir dir;
  const fs::path root = dir.path();
  test::write_png(root / "imgs/a.png", 8, 6);
  test::write_png(root / "imgs/b.png", 6, 8);
  write(root / "chat.jsonl",
        R"({"messages": [{"role": "system", "content": "You describe."}, {"role": "user", "content": "<image>What?"}, {"role": "assistant", "content": "A."}], "images": ["imgs/a.png"]})"
        "\n"
        R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "Compare "}, {"type": "image_url", "image_url": {"url": "imgs/a.png"}}, {"type": "text", "text": " and "}, {"type": "image", "image": "imgs/b.png"}]}, {"role": "assistant", "content": [{"type": "text", "text": "Same size."}]}]})"
        "\n"
        R"({"messages": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "This?"}]}, {"role": "assistant", "content": "B."}, {"role": "tool", "content": "x"}], "images": ["imgs/b.png"]})"
        "\n"
        R"({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}, {"type": "video", "video": "v.mp4"}]}, {"role": "assistant", "content": "?"}]})"
        "\n");
  const data::Dataset ds = data::open_dataset(root / "chat.jsonl");
  QVERIFY(ds.format == data::DatasetFormat::openai_messages);
  QVERIFY2(test::contains(ds.detected_because, "\"messages\" with role/content"), ds.detected_because.c_str());
  QCOMPARE(ds.root, root);
  QCOMPARE(ds.records.size(), size_t{4});
  QCOMPARE(ds.records[0].system, std::string("You describe."));
  QCOMPARE(ds.records[0].turns.size(), size_t{2});
  QCOMPARE(ds.records[0].images[0].path, root / "imgs/a.png");
  QCOMPARE(ds.records[0].file, std::string("chat.jsonl"));

  const data::Record& r1 = ds.records[1];
  QCOMPARE(r1.turns[0].content, std::string("Compare <image> and <image>"));  // parts joined as written
  QCOMPARE(r1.turns[1].content, std::string("Same size."));
  QCOMPARE(r1.images.size(), size_t{2});
  QCOMPARE(r1.images[0].path, root / "imgs/a.png");
  QCOMPARE(r1.images[1].path, root / "imgs/b.png");

  const data::Record& r2 = ds.records[2];
  QCOMPARE(r2.turns[0].content, std::string("<image>This?"));
  QCOMPARE(r2.images.size(), size_t{1});
  QCOMPARE(r2.images[0].path, root / "imgs/b.png");
  QCOMPARE(r2.turns[2].role, std::string("tool"));

  // Row 3: the data: URL and the video part are reported; the row is kept.
  QCOMPARE(ds.records[3].turns[0].content, std::string("<image>"));
  QCOMPARE(ds.problems.size(), size_t{2});
  QCOMPARE(ds.problems[0].kind, ProblemKind::missing_image);
  QCOMPARE(ds.problems[0].row, int64_t{3});
  QCOMPARE(ds.problems[1].kind, ProblemKind::bad_json);
  QVERIFY2(test::contains(ds.problems[1].message, "\"video\""), ds.problems[1].message.c_str());

  // The same rows as a JSON list.
  write(root / "list/chat.json",
        R"([{"messages": [{"role": "user", "content": [{"type": "text", "text": "Hi "}, {"type": "image", "path": "../imgs/a.png"}]}, {"role": "assistant", "content": "Hey"}]}])");
  const data::Dataset list = data::open_dataset(root / "list/chat.json");
  CHECK_NO_PROBLEMS(list);
  QVERIFY(list.format == data::DatasetFormat::openai_messages);
  QCOMPARE(list.records[0].turns[0].content, std::string("Hi <image>"));
  QCOMPARE(list.records[0].images[0].path, root / "imgs/a.png");
}

void TestDatasetReaders::bareFilesAndLooseDataFile() {
  test::TempDir dir;
  const fs::path root = dir.path();
  write(root / "one/conv.json", R"([{"conversations": [{"from": "system", "value": "S"}, {"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}], "images": []}])");
  const data::Dataset sharegpt = data::open_dataset(root / "one/conv.json");
  CHECK_NO_PROBLEMS(sharegpt);
  QVERIFY(sharegpt.format == data::DatasetFormat::sharegpt);
  QVERIFY2(test::contains(sharegpt.detected_because, "conv.json") && test::contains(sharegpt.detected_because, "\"conversations\""),
           sharegpt.detected_because.c_str());
  QCOMPARE(sharegpt.records[0].system, std::string("S"));
  QCOMPARE(sharegpt.records[0].turns.size(), size_t{2});

  // A folder holding one data file is that file.
  const data::Dataset folder = data::open_dataset(root / "one");
  QVERIFY(folder.format == data::DatasetFormat::sharegpt);
  QVERIFY2(test::contains(folder.detected_because, "one data file, conv.json: its first row has \"conversations\""),
           folder.detected_because.c_str());
  QCOMPARE(folder.records.size(), size_t{1});

  write(root / "alp/train.jsonl", R"({"instruction": "i", "input": "", "output": "o", "history": [["h", "r"]], "system": "S"})" "\n");
  write(root / "alp/config.json", R"({"unrelated": true})");
  const data::Dataset alpaca = data::open_dataset(root / "alp");
  CHECK_NO_PROBLEMS(alpaca);
  QVERIFY(alpaca.format == data::DatasetFormat::alpaca);
  QVERIFY2(test::contains(alpaca.detected_because, "train.jsonl") && test::contains(alpaca.detected_because, "\"instruction\"") &&
               test::contains(alpaca.detected_because, "config.json (its first row has keys \"unrelated\")"),
           alpaca.detected_because.c_str());
  QCOMPARE(alpaca.records[0].turns.size(), size_t{4});  // a bare file's history and system are read
  QCOMPARE(alpaca.records[0].system, std::string("S"));

  // sharegpt with role/content turns, without dataset_info.json: the tags are taken from the row.
  write(root / "rc/rows.jsonl", R"({"conversations": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]})" "\n");
  const data::Dataset rc = data::open_dataset(root / "rc/rows.jsonl");
  CHECK_NO_PROBLEMS(rc);
  QVERIFY(rc.format == data::DatasetFormat::sharegpt);
  QCOMPARE(rc.records[0].turns[1].role, std::string("assistant"));

  // A forced format.
  data::OpenOptions forced;
  forced.format = data::DatasetFormat::sharegpt;
  const data::Dataset as_sharegpt = data::open_dataset(root / "rc/rows.jsonl", forced);
  QVERIFY(as_sharegpt.format == data::DatasetFormat::sharegpt);
  QVERIFY2(test::contains(as_sharegpt.detected_because, "given"), as_sharegpt.detected_because.c_str());

  // Two data files: which one?
  write(root / "two/a.json", R"([{"conversations": []}])");
  write(root / "two/b.jsonl", R"({"instruction": "i", "output": "o"})" "\n");
  const std::string error = error_of<vltune::FormatError>([&] { data::open_dataset(root / "two"); });
  QVERIFY2(test::contains(error, "a.json (sharegpt)") && test::contains(error, "b.jsonl (alpaca)"), error.c_str());
}

void TestDatasetReaders::badJsonLinesKeepOtherRows() {
  test::TempDir dir;
  const fs::path root = dir.path();
  write(root / "rows.jsonl",
        R"({"conversations": [{"from": "human", "value": "ok"}, {"from": "gpt", "value": "ok"}]})"
        "\n"
        R"({"conversations": [})"
        "\n\n"  // a blank line is not a row
        R"({"a": "宝可梦", })"
        "\n"
        R"({"conversations": [{"from": "human", "value": "last"}, {"from": "gpt", "value": "ok"}]})"
        "\n");
  const data::Dataset ds = data::open_dataset(root / "rows.jsonl");
  QVERIFY(ds.format == data::DatasetFormat::sharegpt);
  QCOMPARE(ds.records.size(), size_t{2});
  QCOMPARE(ds.records[1].row, int64_t{3});
  QCOMPARE(ds.records[1].turns[0].content, std::string("last"));
  QCOMPARE(ds.files[0].rows, int64_t{4});
  const auto bad = problems_of(ds, ProblemKind::bad_json);
  QCOMPARE(bad.size(), size_t{2});
  QCOMPARE(bad[0]->file, std::string("rows.jsonl"));
  QCOMPARE(bad[0]->row, int64_t{1});
  QCOMPARE(bad[0]->line, int64_t{2});
  QCOMPARE(bad[0]->column, int64_t{20});  // the '}'
  QVERIFY2(test::contains(bad[0]->message, "line 2, column 20"), bad[0]->message.c_str());
  QCOMPARE(bad[1]->row, int64_t{2});
  QCOMPARE(bad[1]->line, int64_t{4});
  QCOMPARE(bad[1]->column, int64_t{14});  // counted in characters, not bytes
}

void TestDatasetReaders::badJsonListReportsLineAndColumn() {
  test::TempDir dir;
  const fs::path root = dir.path();
  write(root / "dataset_info.json", R"({"d": {"file_name": "data.json", "formatting": "sharegpt"}, "e": {"file_name": "broken.json", "formatting": "sharegpt"}})");
  write(root / "data.json",
        "[\n"
        "  {\"conversations\": [{\"from\": \"human\", \"value\": \"a\"}, {\"from\": \"gpt\", \"value\": \"b\"}]},\n"
        "  {\"conversations\": [\n"
        "    {\"from\": \"human\", \"value\": \"x\",}\n"
        "  ]},\n"
        "  {\"conversations\": []}\n"
        "]\n");
  write(root / "broken.json", "{\"not\": \"a list\"\n]");
  const data::Dataset ds = data::open_dataset(root);
  QCOMPARE(ds.records.size(), size_t{1});  // the row before the error
  const auto bad = problems_of(ds, ProblemKind::bad_json);
  QCOMPARE(bad.size(), size_t{2});
  QCOMPARE(bad[0]->file, std::string("data.json"));
  QCOMPARE(bad[0]->row, int64_t{1});
  QCOMPARE(bad[0]->line, int64_t{4});
  QCOMPARE(bad[0]->column, int64_t{36});
  QVERIFY2(test::contains(bad[0]->message, "line 4, column 36"), bad[0]->message.c_str());
  QCOMPARE(bad[1]->file, std::string("broken.json"));
  QCOMPARE(bad[1]->row, int64_t{-1});  // the file as a whole
  QCOMPARE(bad[1]->line, int64_t{2});
  QCOMPARE(bad[1]->column, int64_t{1});

  // A missing comma between rows and a trailing comma.
  write(root / "comma.json", "[{\"instruction\": \"a\", \"output\": \"b\"}\n {\"instruction\": \"c\", \"output\": \"d\"}]");
  const data::Dataset comma = data::open_dataset(root / "comma.json");
  QCOMPARE(comma.records.size(), size_t{1});
  QCOMPARE(comma.problems.size(), size_t{1});
  QCOMPARE(comma.problems[0].row, int64_t{1});
  QCOMPARE(comma.problems[0].line, int64_t{2});
  QCOMPARE(comma.problems[0].column, int64_t{2});
  write(root / "trailing.json", "[{\"instruction\": \"a\", \"output\": \"b\"},\n]");
  const data::Dataset trailing = data::open_dataset(root / "trailing.json");
  QCOMPARE(trailing.records.size(), size_t{1});
  QCOMPARE(trailing.problems.size(), size_t{1});
  QCOMPARE(trailing.problems[0].line, int64_t{2});

  // A .json file of JSON lines reads as lines (as Hugging Face datasets does).
  write(root / "lines.json", "{\"instruction\": \"a\", \"output\": \"b\"}\n{\"instruction\": \"c\", \"output\": \"d\"}\n");
  const data::Dataset lines = data::open_dataset(root / "lines.json");
  CHECK_NO_PROBLEMS(lines);
  QCOMPARE(lines.records.size(), size_t{2});
}

void TestDatasetReaders::wrongShapeRowNamesTheKey() {
  test::TempDir dir;
  const fs::path root = dir.path();
  write(root / "rows.jsonl",
        R"({"conversations": [{"from": "human", "value": "ok"}, {"from": "gpt", "value": "ok"}]})"
        "\n"
        R"({"conversations": "not a list", "images": ["x.png"]})"
        "\n"
        R"(["a row that is a list"])"
        "\n"
        R"({"conversations": [{"from": "human", "value": 3}, {"value": "no role"}], "images": 7})"
        "\n");
  const data::Dataset ds = data::open_dataset(root / "rows.jsonl");
  QCOMPARE(ds.records.size(), size_t{3});  // the list row has nothing to keep
  QCOMPARE(ds.records[1].row, int64_t{1});
  QVERIFY(ds.records[1].turns.empty());
  QCOMPARE(ds.records[1].images.size(), size_t{1});
  QCOMPARE(ds.records[2].row, int64_t{3});
  const auto bad = problems_of(ds, ProblemKind::bad_json);
  QCOMPARE(bad.size(), size_t{5});
  QCOMPARE(bad[0]->row, int64_t{1});
  QVERIFY2(test::contains(bad[0]->message, "\"conversations\" should be a list"), bad[0]->message.c_str());
  QCOMPARE(bad[0]->line, int64_t{2});
  QCOMPARE(bad[1]->row, int64_t{2});
  QVERIFY2(test::contains(bad[1]->message, "a list, not an object"), bad[1]->message.c_str());
  std::string rest;
  for (size_t i = 2; i < bad.size(); ++i) {
    QCOMPARE(bad[i]->row, int64_t{3});
    rest += bad[i]->message + "\n";
  }
  QVERIFY2(test::contains(rest, "\"images\" should be a list"), rest.c_str());
  QVERIFY2(test::contains(rest, "turn 0: \"value\" should be a string"), rest.c_str());
  QVERIFY2(test::contains(rest, "turn 1: \"from\" should be the role"), rest.c_str());
}

void TestDatasetReaders::badEncodingCostsOnlyItsRow() {
  test::TempDir dir;
  const fs::path root = dir.path();
  write(root / "rows.jsonl",
        "{\"instruction\": \"caf\xC3\xA9\", \"output\": \"fine\"}\n"
        "{\"instruction\": \"caf\xE9\", \"output\": \"latin-1\"}\n"
        "{\"instruction\": \"ok\", \"output\": \"ok\"}\n");
  const data::Dataset ds = data::open_dataset(root / "rows.jsonl");
  QCOMPARE(ds.records.size(), size_t{3});
  QVERIFY(!ds.records[0].bad_encoding);
  QVERIFY(ds.records[1].bad_encoding);
  QVERIFY(!ds.records[2].bad_encoding);
  QCOMPARE(ds.records[1].turns[0].content, std::string("caf\xEF\xBF\xBD"));
  QCOMPARE(ds.problems.size(), size_t{1});
  QCOMPARE(ds.problems[0].kind, ProblemKind::bad_encoding);
  QCOMPARE(ds.problems[0].row, int64_t{1});

  // In a JSON list too: only the row with the bad byte.
  write(root / "list.json",
        "[\n {\"instruction\": \"a\", \"output\": \"\xE5\xAE\x9D\"},\n {\"instruction\": \"b\xFF\", \"output\": \"c\"},\n"
        " {\"instruction\": \"d\", \"output\": \"e\"}\n]\n");
  const data::Dataset list = data::open_dataset(root / "list.json");
  QCOMPARE(list.records.size(), size_t{3});
  QVERIFY(!list.records[0].bad_encoding);
  QVERIFY(list.records[1].bad_encoding);
  QVERIFY(!list.records[2].bad_encoding);
  QCOMPARE(list.records[1].turns[0].content, std::string("b\xEF\xBF\xBD"));
  QCOMPARE(list.problems.size(), size_t{1});
  QCOMPARE(list.problems[0].kind, ProblemKind::bad_encoding);
  QCOMPARE(list.problems[0].row, int64_t{1});
  QCOMPARE(list.problems[0].file, std::string("list.json"));
}

void TestDatasetReaders::cocoCaptions() {
  test::TempDir dir;
  const fs::path root = dir.path() / "coco";
  test::write_png(root / "train2017/000000000009.png", 4, 4);
  test::write_png(root / "images/000000000025.png", 4, 4);
  write(root / "annotations/captions_train2017.json", R"({
  "info": {}, "licenses": [],
  "images": [{"id": 9, "file_name": "000000000009.png", "width": 640, "height": 480},
             {"id": 25, "file_name": "000000000025.png", "width": 500, "height": 375},
             {"id": 30, "file_name": "gone.png", "width": 10, "height": 10}],
  "annotations": [{"image_id": 9, "id": 1, "caption": "A plate of food.\n"},
                  {"image_id": 9, "id": 2, "caption": " Some vegetables on a plate."},
                  {"image_id": 25, "id": 3, "caption": "A giraffe."},
                  {"image_id": 9, "id": 4, "caption": "Broccoli."},
                  {"image_id": 77, "id": 5, "caption": "No such image."},
                  {"image_id": 30, "id": 6, "caption": "Missing file."}]
})");
  data::OpenOptions options;
  options.caption_prompt = "Describe the image.";
  const data::Dataset ds = data::open_dataset(root, options);
  QVERIFY(ds.format == data::DatasetFormat::coco_captions);
  QVERIFY2(test::contains(ds.detected_because, "captions_train2017.json"), ds.detected_because.c_str());
  QCOMPARE(ds.records.size(), size_t{6});
  QCOMPARE(ds.files.size(), size_t{1});
  QCOMPARE(ds.files[0].rows, int64_t{6});
  const data::Record& r0 = ds.records[0];
  QCOMPARE(r0.file, std::string("annotations/captions_train2017.json"));
  QCOMPARE(r0.row, int64_t{0});
  QCOMPARE(r0.caption, std::string("A plate of food."));
  QCOMPARE(r0.turns[0].content, std::string("<image>Describe the image."));
  QCOMPARE(r0.turns[1].content, std::string("A plate of food."));
  QCOMPARE(r0.images[0].path, root / "train2017/000000000009.png");
  QCOMPARE(r0.images[0].width, int64_t{640});
  QCOMPARE(r0.images[0].height, int64_t{480});
  QCOMPARE(ds.records[1].caption, std::string("Some vegetables on a plate."));
  QCOMPARE(ds.records[3].images[0].path, r0.images[0].path);  // several captions, one image
  QCOMPARE(ds.records[2].images[0].path, root / "images/000000000025.png");
  QCOMPARE(ds.records[2].row, int64_t{2});
  QVERIFY(ds.records[5].images[0].path.empty());  // validation reports the missing file
  QCOMPARE(ds.problems.size(), size_t{1});
  QCOMPARE(ds.problems[0].row, int64_t{4});
  QVERIFY2(test::contains(ds.problems[0].message, "77"), ds.problems[0].message.c_str());

  // The annotations file itself.
  const data::Dataset file = data::open_dataset(root / "annotations/captions_train2017.json");
  QVERIFY(file.format == data::DatasetFormat::coco_captions);
  QCOMPARE(file.root, root);
  QCOMPARE(file.records.size(), size_t{6});
  QCOMPARE(file.records[0].turns[0].content, std::string("<image>"));
}

void TestDatasetReaders::captionFolder() {
  test::TempDir dir;
  const fs::path root = dir.path();
  test::write_png(root / "cat.png", 4, 4);
  write(root / "cat.txt", "A cat.\r\n");
  test::write_png(root / "b/sub/dog.png", 4, 4);
  write(root / "b/sub/dog.txt", "A dog\non two lines.\n\n");
  test::write_png(root / "a/bird.JPG", 1, 1);  // any image extension, any case (the bytes do not matter here)
  write(root / "a/bird.txt", "A bird.");
  test::write_png(root / "lonely.png", 4, 4);  // no caption
  test::write_png(root / "b/alone.webp", 4, 4);
  test::write_png(root / "._cat.png", 4, 4);  // macOS resource fork: ignored
  write(root / "._cat.txt", "junk");
  write(root / "notes.txt", "no image");
  write(root / "latin.txt", "caf\xE9");
  test::write_png(root / "latin.png", 4, 4);

  const data::Dataset ds = data::open_dataset(root);
  QVERIFY(ds.format == data::DatasetFormat::image_captions);
  QVERIFY2(test::contains(ds.detected_because, "4 image(s) with same-named .txt captions") &&
               test::contains(ds.detected_because, "2 image(s) without one"),
           ds.detected_because.c_str());
  QCOMPARE(ds.uncaptioned_images, int64_t{2});
  QCOMPARE(ds.records.size(), size_t{4});
  // Sorted by the image's relative path.
  QCOMPARE(ds.records[0].file, std::string("a/bird.txt"));
  QCOMPARE(ds.records[1].file, std::string("b/sub/dog.txt"));
  QCOMPARE(ds.records[2].file, std::string("cat.txt"));
  QCOMPARE(ds.records[3].file, std::string("latin.txt"));
  const data::Record& dog = ds.records[1];
  QCOMPARE(dog.row, int64_t{0});
  QCOMPARE(dog.caption, std::string("A dog\non two lines."));
  QCOMPARE(dog.turns.size(), size_t{2});
  QCOMPARE(dog.turns[0].content, std::string("<image>"));
  QCOMPARE(dog.turns[1].content, dog.caption);
  QCOMPARE(dog.images.size(), size_t{1});
  QCOMPARE(dog.images[0].path, root / "b/sub/dog.png");
  QCOMPARE(dog.images[0].written, std::string("b/sub/dog.png"));
  QCOMPARE(ds.records[2].caption, std::string("A cat."));
  QCOMPARE(ds.records[0].images[0].path, root / "a/bird.JPG");
  // Bad UTF-8 in a caption.
  QVERIFY(ds.records[3].bad_encoding);
  QCOMPARE(ds.records[3].caption, std::string("caf\xEF\xBF\xBD"));
  QCOMPARE(ds.problems.size(), size_t{1});
  QCOMPARE(ds.problems[0].kind, ProblemKind::bad_encoding);
  QCOMPARE(ds.problems[0].file, std::string("latin.txt"));
  QCOMPARE(ds.problems[0].row, int64_t{0});

  data::OpenOptions options;
  options.caption_prompt = "Describe.";
  const data::Dataset prompted = data::open_dataset(root, options);
  QCOMPARE(prompted.records[1].turns[0].content, std::string("<image>Describe."));
}

void TestDatasetReaders::captionFolderOfManyShardedPairs() {
  // A sharded folder of many pairs, all read (VLTUNE_READERS_BENCH_PAIRS sets how many).
  const char* env = std::getenv("VLTUNE_READERS_BENCH_PAIRS");
  const int pairs = env && *env ? std::atoi(env) : 2000;
  test::TempDir dir;
  const fs::path root = dir.path();
  const auto png = test::png_bytes(2, 2);
  for (int i = 0; i < pairs; ++i) {
    const std::string stem = "shard" + std::to_string(i % 10) + "/img" + std::to_string(i);
    if (i < 10) fs::create_directories(root / ("shard" + std::to_string(i)));
    std::ofstream(root / (stem + ".png"), std::ios::binary)
        .write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    std::ofstream(root / (stem + ".txt")) << "caption " << i << "\n";
  }
  const auto start = std::chrono::steady_clock::now();
  const data::Dataset ds = data::open_dataset(root);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  QCOMPARE(ds.records.size(), static_cast<size_t>(pairs));
  // Speed is measured by vltune-bench-dataset-index, never asserted here: only reported.
  qInfo("indexed %d image+caption pairs in %.3f s", pairs, seconds);
}

void TestDatasetReaders::unreadableInputsThrow() {
  test::TempDir dir;
  const fs::path root = dir.path();
  QVERIFY_THROWS_EXCEPTION(vltune::FileError, data::open_dataset(root / "nope"));

  fs::create_directories(root / "empty");
  write(root / "empty/readme.md", "hello");
  test::write_png(root / "empty/lonely.png", 2, 2);
  std::string error = error_of<vltune::FormatError>([&] { data::open_dataset(root / "empty"); });
  QVERIFY2(test::contains(error, "dataset_info.json") && test::contains(error, "captions_*.json") &&
               test::contains(error, ".txt captions") && test::contains(error, "\"messages\""),
           error.c_str());

  write(root / "bad_info/dataset_info.json", "{\n  \"a\": {\"file_name\": \"x.json\"},\n  \"b\": {\"file_name\": }\n}\n");
  error = error_of<vltune::FormatError>([&] { data::open_dataset(root / "bad_info"); });
  QVERIFY2(test::contains(error, "dataset_info.json") && test::contains(error, "line 3, column 22"), error.c_str());

  write(root / "other.jsonl", R"({"text": "x", "label": 1})" "\n");
  error = error_of<vltune::FormatError>([&] { data::open_dataset(root / "other.jsonl"); });
  QVERIFY2(test::contains(error, "\"text\"") && test::contains(error, "\"label\""), error.c_str());

  write(root / "garbage.json", "[{oops}]");
  error = error_of<vltune::FormatError>([&] { data::open_dataset(root / "garbage.json"); });
  QVERIFY2(test::contains(error, "line 1, column 3"), error.c_str());

  write(root / "missing_file/dataset_info.json", R"({"a": {"file_name": "gone.json"}})");
  error = error_of<vltune::FormatError>([&] { data::open_dataset(root / "missing_file"); });
  QVERIFY2(test::contains(error, "gone.json"), error.c_str());

  test::write_png(root / "single.png", 2, 2);
  error = error_of<vltune::FormatError>([&] { data::open_dataset(root / "single.png"); });
  QVERIFY2(test::contains(error, "folder"), error.c_str());
}

void TestDatasetReaders::probeImageSizeFromHeaders() {
  test::TempDir dir;
  const fs::path root = dir.path();
  test::write_png(root / "a.png", 13, 7);
  QCOMPARE(data::probe_image_size(root / "a.png"), (vltune::text::ImageSize{13, 7}));

  write_bytes(root / "a.jpg", jpeg_header(300, 200));
  QCOMPARE(data::probe_image_size(root / "a.jpg"), (vltune::text::ImageSize{300, 200}));
  write_bytes(root / "rotated.jpg", jpeg_header(300, 200, /*orientation=*/6));
  QCOMPARE(data::probe_image_size(root / "rotated.jpg"), (vltune::text::ImageSize{200, 300}));
  QCOMPARE(vltune::io::read_image_dimensions(root / "rotated.jpg").width, int64_t{300});  // stored size

  // WebP: lossy, lossless and extended headers.
  std::vector<uint8_t> vp8 = {0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A};
  put_le(vp8, 640, 2);
  put_le(vp8, 480, 2);
  vp8.resize(20, 0);
  write_bytes(root / "lossy.webp", webp_header("VP8 ", vp8));
  QCOMPARE(data::probe_image_size(root / "lossy.webp"), (vltune::text::ImageSize{640, 480}));
  std::vector<uint8_t> vp8l = {0x2F};
  put_le(vp8l, (99u - 1) | ((51u - 1) << 14), 4);
  vp8l.resize(20, 0);
  write_bytes(root / "lossless.webp", webp_header("VP8L", vp8l));
  QCOMPARE(data::probe_image_size(root / "lossless.webp"), (vltune::text::ImageSize{99, 51}));
  std::vector<uint8_t> vp8x = {0x10, 0, 0, 0};
  put_le(vp8x, 1920 - 1, 3);
  put_le(vp8x, 1080 - 1, 3);
  write_bytes(root / "extended.webp", webp_header("VP8X", vp8x));
  QCOMPARE(data::probe_image_size(root / "extended.webp"), (vltune::text::ImageSize{1920, 1080}));
  // Extended WebP with an EXIF chunk after the image data, orientation 8: turned a quarter.
  vp8x[0] = 0x08;  // the EXIF flag
  std::vector<uint8_t> rotated_webp = webp_header("VP8X", vp8x);
  const std::vector<uint8_t> image_chunk = webp_header("VP8L", vp8l);  // its chunk, after the RIFF header
  rotated_webp.insert(rotated_webp.end(), image_chunk.begin() + 12, image_chunk.end());
  const std::vector<uint8_t> tiff = exif_tiff(8);
  rotated_webp.insert(rotated_webp.end(), {'E', 'X', 'I', 'F'});
  put_le(rotated_webp, static_cast<uint32_t>(tiff.size()), 4);
  rotated_webp.insert(rotated_webp.end(), tiff.begin(), tiff.end());
  write_bytes(root / "rotated.webp", rotated_webp);
  QCOMPARE(data::probe_image_size(root / "rotated.webp"), (vltune::text::ImageSize{1080, 1920}));
  // PNG with an eXIf chunk before the image data.
  std::vector<uint8_t> png = test::png_bytes(13, 7);
  std::vector<uint8_t> exif_chunk;
  test::put_png_chunk(exif_chunk, "eXIf", tiff);
  png.insert(png.begin() + 8 + 25, exif_chunk.begin(), exif_chunk.end());  // after the signature and IHDR
  write_bytes(root / "rotated.png", png);
  QCOMPARE(data::probe_image_size(root / "rotated.png"), (vltune::text::ImageSize{7, 13}));

  // BMP (top-down: negative height) and GIF.
  std::vector<uint8_t> bmp = {'B', 'M'};
  for (int field = 0; field < 3; ++field) put_le(bmp, 0, 4);  // file size, reserved, data offset
  put_le(bmp, 40, 4);
  put_le(bmp, 33, 4);
  put_le(bmp, static_cast<uint32_t>(-17), 4);
  bmp.resize(54, 0);
  write_bytes(root / "a.bmp", bmp);
  QCOMPARE(data::probe_image_size(root / "a.bmp"), (vltune::text::ImageSize{33, 17}));
  std::vector<uint8_t> gif = {'G', 'I', 'F', '8', '9', 'a'};
  put_le(gif, 21, 2);
  put_le(gif, 12, 2);
  gif.resize(13, 0);
  write_bytes(root / "a.gif", gif);
  QCOMPARE(data::probe_image_size(root / "a.gif"), (vltune::text::ImageSize{21, 12}));

  write(root / "text.png", "not an image at all");
  QVERIFY_THROWS_EXCEPTION(vltune::Error, data::probe_image_size(root / "text.png"));
  QVERIFY_THROWS_EXCEPTION(vltune::FileError, data::probe_image_size(root / "gone.png"));
}

void TestDatasetReaders::toConversation() {
  data::Record r;
  r.file = "train.json";
  r.row = 4;
  r.system = "S";
  r.turns = {{"user", "<image>Hi"}, {"assistant", "Hello"}};
  r.images = {data::ImageRef{"x.png", "/nonexistent/x.png", 64, 32}};  // a stated size needs no file
  const vltune::text::Conversation conv = data::to_conversation(r);
  QCOMPARE(conv.label, std::string("train.json row 4"));
  QCOMPARE(conv.system, std::string("S"));
  QCOMPARE(conv.messages.size(), size_t{2});
  QVERIFY(conv.messages[1].role == vltune::text::Role::assistant);
  QCOMPARE(conv.images[0], (vltune::text::ImageSize{64, 32}));

  data::Record unknown = r;
  unknown.turns[1].role = "observation";
  std::string error = error_of<vltune::FormatError>([&] { data::to_conversation(unknown); });
  QVERIFY2(test::contains(error, "train.json row 4") && test::contains(error, "observation"), error.c_str());

  data::Record missing = r;
  missing.images = {data::ImageRef{"gone.png", {}, 0, 0}};
  error = error_of<vltune::FormatError>([&] { data::to_conversation(missing); });
  QVERIFY2(test::contains(error, "train.json row 4") && test::contains(error, "gone.png"), error.c_str());

  data::Record leading_system;
  leading_system.turns = {{"system", "Be kind."}, {"user", "Hi"}, {"assistant", "Hello"}};
  const auto conv2 = data::to_conversation(leading_system);
  QCOMPARE(conv2.system, std::string("Be kind."));
  QCOMPARE(conv2.messages.size(), size_t{2});
  data::Record middle_system = leading_system;
  std::swap(middle_system.turns[0], middle_system.turns[1]);
  QVERIFY_THROWS_EXCEPTION(vltune::FormatError, data::to_conversation(middle_system));
}

QTEST_APPLESS_MAIN(TestDatasetReaders)
#include "test_dataset_readers.moc"
