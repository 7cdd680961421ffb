// The tokenizer.json pipeline piece by piece, on hand-made specs: added-token matching (the cases
// of tokenizers' own added_vocabulary.rs tests), Split behaviors, Metaspace, Digits, the BPE
// options, decoders, lossy UTF-8, streaming decode, and the errors for unsupported or broken files.

#include <fstream>

#include <QtTest/QtTest>

#include "core/error.h"
#include "core/text/added_vocabulary.h"
#include "core/text/decode_stream.h"
#include "core/text/decoders.h"
#include "core/text/hf_tokenizer.h"
#include "core/text/normalizers.h"
#include "core/text/pre_tokenizers.h"
#include "core/text/utf8.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;
using vltune::test::contains;
using vltune::test::format_error;
using namespace vltune::text;

namespace {

using Splits = std::vector<std::pair<std::string, int>>;  // (text, added token id or -1)

Splits split_with(const AddedVocabulary& vocab, const std::string& text, const Normalizer* n) {
  Splits out;
  for (const auto& s : vocab.split(text, n)) out.emplace_back(s.text, s.token);
  return out;
}

AddedToken added(int id, std::string content, bool special, bool normalized) {
  AddedToken t;
  t.id = id;
  t.content = std::move(content);
  t.special = special;
  t.normalized = normalized;
  return t;
}

std::vector<std::string> pre_tokenize(const Json& spec, const std::string& text) {
  auto p = make_pre_tokenizer(spec, "test");
  std::vector<PreToken> pieces{{text, true}};
  p->pre_tokenize(pieces);
  std::vector<std::string> out;
  for (auto& piece : pieces) out.push_back(piece.text);
  return out;
}

std::vector<std::string> decode_chain(const Json& spec, std::vector<std::string> tokens) {
  make_decoder(spec, "test")->decode_chain(tokens);
  return tokens;
}

// A character-level BPE: vocab of the given tokens in order, merges as given.
Json bpe_spec(const std::vector<std::string>& vocab, const std::vector<std::string>& merges) {
  Json v = Json::object();
  for (size_t i = 0; i < vocab.size(); ++i) v[vocab[i]] = i;
  return Json{{"model", {{"type", "BPE"}, {"vocab", v}, {"merges", merges}}}};
}

}  // namespace

class TestTokenizerPipeline : public QObject {
  Q_OBJECT

 private slots:
  void addedTokensExtracted();
  void addedTokenOptions();
  void addedTokenSingleWord();
  void addedTokenStripsUnicodeSpace();
  void addedTokensLongestMatchWins();
  void splitBehaviors_data();
  void splitBehaviors();
  void splitInvertedRemovesTheRest();
  void regexWhitespaceIsUnicodeWhiteSpace();
  void metaspace();
  void digits();
  void byteLevelMapsBytes();
  void bpeByteFallbackAndUnk();
  void bpeMergeOrderAndOptions();
  void postProcessors();
  void decoders();
  void lossyUtf8IsMaximalSubparts();
  void streamingHoldsIncompleteCharacters();
  void unsupportedPiecesAreNamed_data();
  void unsupportedPiecesAreNamed();
  void badInputs();
};

void TestTokenizerPipeline::addedTokensExtracted() {
  const AddedVocabulary vocab({added(0, "my", false, true), added(1, "name", false, true),
                               added(2, "[CLS]", true, false), added(3, "[SEP]", true, false)},
                              nullptr);
  QCOMPARE(split_with(vocab, "[CLS] My name is Anthony [SEP]", nullptr),
           (Splits{{"[CLS]", 2}, {" My ", -1}, {"name", 1}, {" is Anthony ", -1}, {"[SEP]", 3}}));
}

void TestTokenizerPipeline::addedTokenOptions() {
  // lstrip + rstrip absorb the spaces; normalized tokens match the lowercased text; single_word
  // keeps "ony" out of "anthony".
  auto lower = make_normalizer(Json{{"type", "Lowercase"}}, "test");
  AddedToken my = added(0, "my", false, true);
  my.lstrip = my.rstrip = true;
  AddedToken ony = added(2, "ony", false, true);
  ony.single_word = true;
  const AddedVocabulary vocab({my, added(1, "name", false, true), ony, added(3, "[CLS]", true, false),
                               added(4, "[SEP]", true, false)},
                              lower.get());
  QCOMPARE(split_with(vocab, "[CLS] My name is Anthony [SEP]", lower.get()),
           (Splits{{"[CLS]", 3}, {" my ", 0}, {"name", 1}, {" is anthony ", -1}, {"[SEP]", 4}}));
}

void TestTokenizerPipeline::addedTokenSingleWord() {
  auto lower = make_normalizer(Json{{"type", "Lowercase"}}, "test");
  AddedToken mask = added(0, "<mask>", false, true);
  mask.single_word = true;
  const AddedVocabulary vocab({mask}, lower.get());
  QCOMPARE(split_with(vocab, "<mask> My name <mask> A<mask> <mask>ony <mask>", lower.get()),
           (Splits{{"<mask>", 0}, {" my name ", -1}, {"<mask>", 0}, {" a<mask> <mask>ony ", -1}, {"<mask>", 0}}));
  // Punctuation and dashes are not word characters; a combining mark is.
  QCOMPARE(split_with(vocab, "<mask>, <mask>- \u25CC\u0330<mask>", lower.get()),
           (Splits{{"<mask>", 0}, {", ", -1}, {"<mask>", 0}, {"- \u25CC\u0330<mask>", -1}}));
}

void TestTokenizerPipeline::addedTokenStripsUnicodeSpace() {
  auto lower = make_normalizer(Json{{"type", "Lowercase"}}, "test");
  AddedToken mask = added(0, "<mask>", false, true);
  mask.lstrip = mask.rstrip = mask.single_word = true;
  const AddedVocabulary vocab({mask}, lower.get());
  QCOMPARE(split_with(vocab, "Hi <mask> there\t<mask>\t<mask>\u2000", lower.get()),
           (Splits{{"hi", -1}, {" <mask> ", 0}, {"there", -1}, {"\t<mask>\t", 0}, {"<mask>\u2000", 0}}));
}

void TestTokenizerPipeline::addedTokensLongestMatchWins() {
  const AddedVocabulary vocab({added(0, "<a>", true, false), added(1, "<a><b>", true, false)}, nullptr);
  QCOMPARE(split_with(vocab, "x<a><b><a>", nullptr), (Splits{{"x", -1}, {"<a><b>", 1}, {"<a>", 0}}));
}

void TestTokenizerPipeline::splitBehaviors_data() {
  QTest::addColumn<QString>("behavior");
  QTest::addColumn<QStringList>("expected");
  // The examples of tokenizers' SplitDelimiterBehavior documentation.
  QTest::newRow("Removed") << "Removed" << QStringList{"the", "final", "countdown"};
  QTest::newRow("Isolated") << "Isolated" << QStringList{"the", "-", "final", "-", "-", "countdown"};
  QTest::newRow("MergedWithPrevious") << "MergedWithPrevious" << QStringList{"the-", "final-", "-", "countdown"};
  QTest::newRow("MergedWithNext") << "MergedWithNext" << QStringList{"the", "-final", "-", "-countdown"};
  QTest::newRow("Contiguous") << "Contiguous" << QStringList{"the", "-", "final", "--", "countdown"};
}

void TestTokenizerPipeline::splitBehaviors() {
  QFETCH(QString, behavior);
  QFETCH(QStringList, expected);
  const Json spec{{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", behavior.toStdString()}, {"invert", false}};
  QStringList got;
  for (const auto& p : pre_tokenize(spec, "the-final--countdown")) got << QString::fromStdString(p);
  QCOMPARE(got, expected);
}

void TestTokenizerPipeline::splitInvertedRemovesTheRest() {
  // CLIP: keep what the regex matches, drop the whitespace between.
  const Json spec{{"type", "Split"},
                  {"pattern", {{"Regex", R"('s|'t|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+)"}}},
                  {"behavior", "Removed"},
                  {"invert", true}};
  QCOMPARE(pre_tokenize(spec, "it's  a 42\u00A0d\u00E9j\u00E0-vu"),
           (std::vector<std::string>{"it", "'s", "a", "4", "2", "d\u00E9j\u00E0", "-", "vu"}));
}

void TestTokenizerPipeline::regexWhitespaceIsUnicodeWhiteSpace() {
  // Oniguruma's \s includes U+0085 (NEL), which PCRE2 leaves out unless translated.
  const Json spec{{"type", "Split"}, {"pattern", {{"Regex", R"(\s+)"}}}, {"behavior", "Removed"}, {"invert", false}};
  QCOMPARE(pre_tokenize(spec, "a\u0085b\u3000c\u00A0d"), (std::vector<std::string>{"a", "b", "c", "d"}));
}

void TestTokenizerPipeline::metaspace() {
  const std::string bar = "\xE2\x96\x81";
  const Json always{{"type", "Metaspace"}, {"replacement", bar}, {"prepend_scheme", "always"}, {"split", true}};
  QCOMPARE(pre_tokenize(always, "Hey friend"), (std::vector<std::string>{bar + "Hey", bar + "friend"}));
  const Json first{{"type", "Metaspace"}, {"replacement", bar}, {"prepend_scheme", "first"}, {"split", false}};
  QCOMPARE(pre_tokenize(first, "Hey friend"), (std::vector<std::string>{bar + "Hey" + bar + "friend"}));
  // "first" prepends only at the start of the input, not after an added token.
  auto p = make_pre_tokenizer(first, "test");
  std::vector<PreToken> later{{"after", false}};
  p->pre_tokenize(later);
  QCOMPARE(later.front().text, std::string("after"));
  const Json never{{"type", "Metaspace"}, {"replacement", bar}, {"prepend_scheme", "never"}, {"split", true}};
  QCOMPARE(pre_tokenize(never, "Hey friend"), (std::vector<std::string>{"Hey", bar + "friend"}));
}

void TestTokenizerPipeline::digits() {
  QCOMPARE(pre_tokenize(Json{{"type", "Digits"}, {"individual_digits", true}}, "Call 123 please"),
           (std::vector<std::string>{"Call ", "1", "2", "3", " please"}));
  QCOMPARE(pre_tokenize(Json{{"type", "Digits"}, {"individual_digits", false}}, "Call 123 please"),
           (std::vector<std::string>{"Call ", "123", " please"}));
}

void TestTokenizerPipeline::byteLevelMapsBytes() {
  QCOMPARE(pre_tokenize(Json{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}}, "Hello my friend"),
           (std::vector<std::string>{"\xC4\xA0Hello", "\xC4\xA0my", "\xC4\xA0" "friend"}));
}

void TestTokenizerPipeline::bpeByteFallbackAndUnk() {
  // "é" is not in the vocabulary: with byte_fallback it becomes its two byte tokens; without,
  // the (fused) unk token.
  std::vector<std::string> vocab{"<unk>", "a", "b", "ab", "<0xC3>", "<0xA9>"};
  Json spec = bpe_spec(vocab, {"a b"});
  spec["model"]["unk_token"] = "<unk>";
  spec["model"]["byte_fallback"] = true;
  spec["decoder"] = {{"type", "Sequence"}, {"decoders", {{{"type", "ByteFallback"}}, {{"type", "Fuse"}}}}};
  const HfTokenizer fallback(spec, "fallback.json");
  QCOMPARE(fallback.encode("ab\u00E9a"), (std::vector<TokenId>{3, 4, 5, 1}));
  QCOMPARE(fallback.decode(std::vector<TokenId>{3, 4, 5, 1}), std::string("ab\xC3\xA9" "a"));
  spec["model"]["byte_fallback"] = false;
  spec["model"]["fuse_unk"] = true;
  const HfTokenizer fused(spec, "fused.json");
  QCOMPARE(fused.encode("a\u00E9\u00E9b"), (std::vector<TokenId>{1, 0, 2}));
  spec["model"]["fuse_unk"] = false;
  const HfTokenizer unfused(spec, "unfused.json");
  QCOMPARE(unfused.encode("a\u00E9\u00E9b"), (std::vector<TokenId>{1, 0, 0, 2}));
}

void TestTokenizerPipeline::bpeMergeOrderAndOptions() {
  // Lowest rank first: "abc" with merges ["b c", "a b"] gives a + bc, not ab + c.
  const HfTokenizer ranked(bpe_spec({"a", "b", "c", "ab", "bc"}, {"b c", "a b"}), "ranked.json");
  QCOMPARE(ranked.encode("abc"), (std::vector<TokenId>{0, 4}));
  // ignore_merges: a word that is a token is taken whole even without a merge path.
  Json whole = bpe_spec({"a", "b", "c", "abc"}, {});
  whole["model"]["ignore_merges"] = true;
  QCOMPARE(HfTokenizer(whole, "whole.json").encode("abc"), (std::vector<TokenId>{3}));
  // CLIP's end-of-word suffix on the last character, merged as part of it.
  Json clip = bpe_spec({"a", "b", "b</w>", "ab</w>"}, {"a b</w>"});
  clip["model"]["end_of_word_suffix"] = "</w>";
  QCOMPARE(HfTokenizer(clip, "clip.json").encode("ab"), (std::vector<TokenId>{3}));
  // WordPiece-style continuing prefix: merges drop the prefix of the right part.
  Json prefixed = bpe_spec({"a", "##b", "ab"}, {"a ##b"});
  prefixed["model"]["continuing_subword_prefix"] = "##";
  QCOMPARE(HfTokenizer(prefixed, "prefixed.json").encode("ab"), (std::vector<TokenId>{2}));
}

void TestTokenizerPipeline::postProcessors() {
  Json spec = bpe_spec({"a", "<s>", "</s>"}, {});
  spec["post_processor"] = {{"type", "TemplateProcessing"},
                            {"single", Json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                                    {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                                                    {{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}}})},
                            {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}}}, {"</s>", {{"id", "</s>"}, {"ids", {2}}}}}}};
  const HfTokenizer t(spec, "template.json");
  QCOMPARE(t.encode("aa", true), (std::vector<TokenId>{1, 0, 0, 2}));
  QCOMPARE(t.encode("aa", false), (std::vector<TokenId>{0, 0}));
  spec["post_processor"] = {{"type", "RobertaProcessing"}, {"cls", {"<s>", 1}}, {"sep", {"</s>", 2}}};
  QCOMPARE(HfTokenizer(spec, "roberta.json").encode("a", true), (std::vector<TokenId>{1, 0, 2}));
}

void TestTokenizerPipeline::decoders() {
  const std::string bar = "\xE2\x96\x81";
  // ByteFallback: a valid run becomes its text; an invalid run one U+FFFD per byte.
  QCOMPARE(decode_chain(Json{{"type", "ByteFallback"}}, {"<0xE2>", "<0x96>", "<0x81>", "x", "<0xE2>", "<0x96>"}),
           (std::vector<std::string>{bar, "x", "\xEF\xBF\xBD", "\xEF\xBF\xBD"}));
  QCOMPARE(decode_chain(Json{{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 1}}, {"  a  "}),
           (std::vector<std::string>{" a "}));
  QCOMPARE(decode_chain(Json{{"type", "Metaspace"}, {"replacement", bar}, {"prepend_scheme", "always"}},
                        {bar + "Hey", bar + "friend"}),
           (std::vector<std::string>{"Hey", " friend"}));
  QCOMPARE(decode_chain(Json{{"type", "BPEDecoder"}, {"suffix", "</w>"}}, {"my</w>", "friend</w>"}),
           (std::vector<std::string>{"my ", "friend"}));
  QCOMPARE(decode_chain(Json{{"type", "ByteLevel"}}, {"\xC4\xA0Hello", "\xC4\xA0\xC3\xA2\xC4\xA3"}),
           (std::vector<std::string>{" Hello \xEF\xBF\xBD"}));  // bytes E2 81: an incomplete character
}

void TestTokenizerPipeline::lossyUtf8IsMaximalSubparts() {
  // One U+FFFD per maximal prefix of a valid sequence, as Rust's from_utf8_lossy.
  const std::string r = "\xEF\xBF\xBD";
  QCOMPARE(utf8::from_bytes_lossy("\xF0\x9F\x98" "A"), r + "A");
  QCOMPARE(utf8::from_bytes_lossy("\xC0\x80"), r + r);
  QCOMPARE(utf8::from_bytes_lossy("\xED\xA0\x80"), r + r + r);  // a surrogate
  QCOMPARE(utf8::from_bytes_lossy("ok\xE2\x82\xAC"), std::string("ok\xE2\x82\xAC"));
}

void TestTokenizerPipeline::streamingHoldsIncompleteCharacters() {
  // "é" split over two byte tokens: nothing, then the whole character.
  Json spec = bpe_spec({"<0xC3>", "<0xA9>", "\xE2\x96\x81" "a"}, {});
  spec["model"]["byte_fallback"] = true;
  spec["decoder"] = {{"type", "Sequence"},
                     {"decoders", {{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
                                   {{"type", "ByteFallback"}},
                                   {{"type", "Fuse"}},
                                   {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
  const HfTokenizer t(spec, "stream.json");
  DecodeStream stream(t);
  QCOMPARE(stream.push(2), std::string("a"));   // leading space stripped at the start only
  QCOMPARE(stream.push(2), std::string(" a"));  // ...but kept between streamed tokens
  QCOMPARE(stream.push(0), std::string());
  QCOMPARE(stream.push(1), std::string("\xC3\xA9"));
  QCOMPARE(stream.push(0), std::string());
  QCOMPARE(stream.finish(), std::string("\xEF\xBF\xBD"));
}

void TestTokenizerPipeline::unsupportedPiecesAreNamed_data() {
  QTest::addColumn<QString>("key");
  QTest::addColumn<QString>("value");
  QTest::addColumn<QString>("message");
  QTest::newRow("pre_tokenizer") << "pre_tokenizer" << R"({"type": "Whitespace2"})"
                                 << R"(pre_tokenizer type "Whitespace2" is not supported)";
  QTest::newRow("normalizer") << "normalizer" << R"({"type": "BertNormalizer"})"
                              << R"(normalizer type "BertNormalizer" is not supported)";
  QTest::newRow("decoder") << "decoder" << R"({"type": "CTC"})" << R"(decoder type "CTC" is not supported)";
  QTest::newRow("post_processor") << "post_processor" << R"({"type": "Whatever"})"
                                  << R"(post_processor type "Whatever" is not supported)";
  QTest::newRow("model") << "model" << R"({"type": "Unigram", "vocab": []})" << R"(model type "Unigram" is not supported)";
  QTest::newRow("merge") << "model" << R"({"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]})"
                         << R"(merges[0] uses "b", which is not in the vocabulary)";
  QTest::newRow("regex") << "pre_tokenizer" << R"({"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated"})"
                         << R"(regex "(unclosed" does not compile)";
}

void TestTokenizerPipeline::unsupportedPiecesAreNamed() {
  QFETCH(QString, key);
  QFETCH(QString, value);
  QFETCH(QString, message);
  vltune::test::TempDir dir;
  Json spec = bpe_spec({"a"}, {});
  spec[key.toStdString()] = Json::parse(value.toStdString());
  const fs::path file = dir.path() / "tokenizer.json";
  std::ofstream(file) << spec.dump();
  const std::string error = format_error([&] { load_tokenizer(file); });
  QVERIFY2(contains(error, message.toStdString()), error.c_str());
  QVERIFY2(contains(error, file.string()), error.c_str());
}

void TestTokenizerPipeline::badInputs() {
  vltune::test::TempDir dir;
  try {
    load_tokenizer(dir.path());
    QFAIL("an empty folder loaded");
  } catch (const vltune::FileError& e) {
    QVERIFY(contains(e.what(), "no tokenizer.json or tokenizer.model"));
  }
  const fs::path broken = dir.path() / "tokenizer.json";
  std::ofstream(broken) << "{\"model\": ";
  QVERIFY(contains(format_error([&] { load_tokenizer(broken); }), broken.string()));
  const HfTokenizer t(bpe_spec({"a"}, {}), "t.json");
  QVERIFY(contains(format_error([&] { t.encode("a\xFF"); }), "not valid UTF-8"));
}

QTEST_APPLESS_MAIN(TestTokenizerPipeline)
#include "test_tokenizer_pipeline.moc"
