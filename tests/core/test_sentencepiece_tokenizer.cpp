// tokenizer.model checkpoints (LLaVA-1.5's original release ships only that): a SentencePiece BPE
// model with byte fallback is trained here, then the Tokenizer built on it is checked against
// libsentencepiece itself (the reference for such files) and against the rules transformers
// applies around it: added tokens split out first, "▁" prefix per segment (legacy) or only at the
// start, BOS from add_bos_token, byte-fallback decode.

#include <fstream>

#include <QtTest/QtTest>

#include "core/error.h"
#include "core/io/json_file.h"
#include "core/text/decode_stream.h"
#include "core/text/sentencepiece_model.h"
#include "core/text/tokenizer.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using vltune::io::Json;
using vltune::text::TokenId;

namespace {

const std::string kBar = "\xE2\x96\x81";  // ▁

std::vector<TokenId> concat(std::vector<TokenId> a, const std::vector<TokenId>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string spaces_to_bar(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == ' ') out += kBar;
    else out.push_back(c);
  }
  return out;
}

}  // namespace

class TestSentencePieceTokenizer : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();
  void legacyEncodingIsSentencePieces();
  void addedTokensAndPrefixes();
  void decodeAndStream();
  void missingOrBrokenModel();

 private:
  vltune::test::TempDir m_dir;
  fs::path m_model;
  int32_t m_image_id = 0;

  fs::path checkpoint(const std::string& name, const Json& config) {
    const fs::path folder = m_dir.path() / name;
    fs::create_directories(folder);
    fs::copy_file(m_model, folder / "tokenizer.model", fs::copy_options::overwrite_existing);
    std::ofstream(folder / "tokenizer_config.json") << config.dump(2);
    return folder;
  }
  Json config(bool legacy) const {
    return Json{{"bos_token", "<s>"},
                {"eos_token", "</s>"},
                {"unk_token", "<unk>"},
                {"add_bos_token", true},
                {"add_eos_token", false},
                {"legacy", legacy},
                {"added_tokens_decoder",
                 {{std::to_string(m_image_id),
                   {{"content", "<image>"}, {"special", true}, {"lstrip", false}, {"rstrip", false}, {"normalized", false},
                    {"single_word", false}}}}}};
  }
};

void TestSentencePieceTokenizer::initTestCase() {
  const fs::path corpus = m_dir.path() / "corpus.txt";
  {
    std::ofstream out(corpus);
    for (int i = 0; i < 200; ++i)
      out << "USER: What is in the picture number " << i << "? ASSISTANT: A red circle on a gray field.\n"
          << "The quick brown fox jumps over the lazy dog, again and again.\n";
  }
  const fs::path prefix = m_dir.path() / "llama_like";
  vltune::text::train_sentencepiece_model("--input=" + corpus.string() + " --model_prefix=" + prefix.string() +
                                          " --vocab_size=600 --model_type=bpe --byte_fallback=true"
                                          " --unk_id=0 --bos_id=1 --eos_id=2 --remove_extra_whitespaces=false --minloglevel=2");
  m_model = prefix.string() + ".model";
  m_image_id = vltune::text::SentencePieceModel::load(m_model).piece_count();  // appended after the vocabulary
}

void TestSentencePieceTokenizer::legacyEncodingIsSentencePieces() {
  // Without added tokens in the text, the legacy pipeline is exactly SentencePiece with its dummy
  // prefix (the model keeps whitespace as it is, like Llama's).
  const auto reference = vltune::text::SentencePieceModel::load(m_model);
  const auto tok = vltune::text::load_tokenizer(checkpoint("legacy", config(true)));
  QCOMPARE(tok->kind(), std::string("SentencePiece"));
  for (const std::string text : {"The quick brown fox", "USER: What is in the picture? ASSISTANT:", "多模态 café 🤖",
                                 "  two leading spaces", "tabs\tand\nnewlines"}) {
    QCOMPARE(tok->encode(text, false), reference.encode(text));
    QCOMPARE(tok->encode(text, true), concat({1}, reference.encode(text)));
  }
  QCOMPARE(tok->special_tokens().bos_id, std::optional<TokenId>(1));
  QCOMPARE(tok->special_tokens().eos_id, std::optional<TokenId>(2));
  QCOMPARE(tok->token_to_id("<image>"), std::optional<TokenId>(m_image_id));
  QCOMPARE(tok->vocab_size(), int64_t{m_image_id} + 1);
  QVERIFY(!tok->token_to_id("no such piece"));
}

void TestSentencePieceTokenizer::addedTokensAndPrefixes() {
  const auto no_prefix = vltune::text::SentencePieceModel::load(m_model, {.add_dummy_prefix = false, .remove_extra_whitespaces = false});
  const std::string before = "USER: ", after = "\nWhat is in the picture? ASSISTANT:";
  const std::string text = before + "<image>" + after;
  // legacy: every segment is prefixed with "▁", like sentencepiece on each piece alone.
  const auto legacy = vltune::text::load_tokenizer(checkpoint("legacy2", config(true)));
  QCOMPARE(legacy->encode(text, true),
           concat(concat(concat({1}, no_prefix.encode(kBar + spaces_to_bar(before))), {m_image_id}),
                  no_prefix.encode(kBar + spaces_to_bar(after))));
  // legacy = false: only the start of the input gets the prefix.
  const auto modern = vltune::text::load_tokenizer(checkpoint("modern", config(false)));
  QCOMPARE(modern->encode(text, true),
           concat(concat(concat({1}, no_prefix.encode(kBar + spaces_to_bar(before))), {m_image_id}),
                  no_prefix.encode(spaces_to_bar(after))));
  QVERIFY(modern->is_special(m_image_id));
  QVERIFY(modern->is_special(1));
}

void TestSentencePieceTokenizer::decodeAndStream() {
  const auto tok = vltune::text::load_tokenizer(checkpoint("decode", config(false)));
  for (const std::string text : {"The quick brown fox", "多模态 café 🤖 ok", "a  b"}) {
    const auto ids = tok->encode(text, true);
    QCOMPARE(tok->decode(ids, true), text);
    vltune::text::DecodeStream stream(*tok, true);
    std::string streamed;
    for (TokenId id : ids) streamed += stream.push(id);
    streamed += stream.finish();
    QCOMPARE(streamed, text);
  }
  const auto ids = tok->encode("<image> fox", false);
  QCOMPARE(ids.front(), m_image_id);
  QCOMPARE(tok->decode(ids, false), std::string("<image> fox"));
  QCOMPARE(tok->decode(ids, true), std::string("fox"));
}

void TestSentencePieceTokenizer::missingOrBrokenModel() {
  const fs::path broken = m_dir.path() / "broken";
  fs::create_directories(broken);
  std::ofstream(broken / "tokenizer.model") << "not a protobuf";
  const std::string error = vltune::test::format_error([&] { vltune::text::load_tokenizer(broken); });
  QVERIFY2(vltune::test::contains(error, (broken / "tokenizer.model").string()), error.c_str());
}

QTEST_APPLESS_MAIN(TestSentencePieceTokenizer)
#include "test_sentencepiece_tokenizer.moc"
