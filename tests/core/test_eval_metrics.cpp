// Evaluate-and-predict metrics against the reference implementations: jieba's segmentation token
// for token, NLTK's BLEU-4 with smoothing method 3, rouge_chinese's ROUGE-1/2/L, np.mean and
// Python's round, all read from tests/data/eval/metric_reference.json (made by
// make_metric_reference.py with Debian's python3-jieba, python3-nltk and python3-numpy); the
// ROUGE-over-characters fallback and its label; the writers byte for byte against Python's json.

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdlib.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/eval/bleu.h"
#include "core/eval/jieba_segmenter.h"
#include "core/eval/metrics.h"
#include "core/eval/predictions_writer.h"
#include "core/eval/python_text.h"
#include "core/eval/rouge.h"
#include "tests/test_support.h"

#include <QtTest/QtTest>

using namespace vltune::eval;
using Json = nlohmann::json;

namespace {

const Json& reference() {
  static const Json ref = [] {
    std::ifstream in(vltune::test::test_data_dir() / "eval" / "metric_reference.json");
    return Json::parse(in);
  }();
  return ref;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// The installed jieba, or null (then the jieba checks skip).
std::shared_ptr<const JiebaSegmenter> installed_jieba() { return shared_jieba_segmenter(); }

double score_of(const Json& scores, const char* key) { return scores.at(key).get<double>(); }

// `what` for one pair, with the pair in the message.
std::string where(const Json& pair, const char* what) {
  return std::string(what) + " for " + pair.at("prediction").dump() + " / " + pair.at("label").dump();
}

constexpr double kTolerance = 1e-9;

// A jieba folder whose HMM tables are tiny but well formed, for the error tests.
void write_small_hmm(const std::filesystem::path& dir) {
  write_text(dir / "finalseg" / "prob_start.py", "P={'B': -0.26, 'E': -3.14e+100, 'M': -3.14e+100, 'S': -1.46}\n");
  write_text(dir / "finalseg" / "prob_trans.py",
             "P={'B': {'E': -0.51, 'M': -0.92},\n 'E': {'B': -0.59, 'S': -0.81},\n"
             " 'M': {'E': -0.33, 'M': -1.26},\n 'S': {'B': -0.72, 'S': -0.67}}\n");
  write_text(dir / "finalseg" / "prob_emit.py",
             "from __future__ import unicode_literals\n\nP={'B': {'\\u4e00': -3.6},\n 'E': {'\\u4e00': -6.0},\n"
             " 'M': {'\\u4e00': -4.4},\n 'S': {'\\u4e00': -5.1}}\n");
}

}  // namespace

class TestEvalMetrics : public QObject {
  Q_OBJECT

 private slots:
  void segmentationMatchesJieba();
  void bleuMatchesNltk();
  void scoresMatchLlamaFactoryWithJieba();
  void scoresOverCharactersMatchReference();
  void meansMatchNumpy();
  void roundingMatchesPython();
  void rougeNeedsASentence();
  void fallbackIsLabelled();
  void jiebaDirComesFromParamThenEnv();
  void malformedJiebaFilesNameFileAndLine();
  void predictionLinesMatchPython();
  void predictResultsMatchPython();
  void writersWriteFilesThatParseBack();
};

void TestEvalMetrics::segmentationMatchesJieba() {
  const auto start = std::chrono::steady_clock::now();
  const auto jieba = installed_jieba();
  if (!jieba) QSKIP("jieba's dictionary is not installed (apt-get install python3-jieba, or set VLTUNE_JIEBA_DIR)");
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  int texts = 0, tokens = 0;
  auto check = [&](const Json& text, const Json& expected) {
    const auto got = jieba->cut(text.get<std::string>());
    const auto want = expected.get<std::vector<std::string>>();
    QVERIFY2(got == want, ("jieba.cut(" + text.dump() + ") is " + Json(want).dump() + ", got " + Json(got).dump()).c_str());
    ++texts;
    tokens += static_cast<int>(want.size());
  };
  for (const Json& pair : reference().at("pairs")) {
    check(pair.at("prediction"), pair.at("prediction_tokens"));
    check(pair.at("label"), pair.at("label_tokens"));
  }
  for (const Json& item : reference().at("segmentation")) check(item.at("text"), item.at("tokens"));
  qInfo("jieba: %d texts, %d tokens identical; dictionary of %zu words loaded in %.2f s", texts, tokens,
        jieba->word_count(), load_s);
}

void TestEvalMetrics::bleuMatchesNltk() {
  int exact = 0, pairs = 0;
  for (const Json& pair : reference().at("pairs")) {
    const auto pred = to_code_points(pair.at("prediction").get<std::string>());
    const auto label = to_code_points(pair.at("label").get<std::string>());
    const double got = sentence_bleu4(pred, label);
    const double want = pair.at("bleu_raw").get<double>();
    QVERIFY2(std::fabs(got - want) <= kTolerance,
             (where(pair, "bleu") + ": nltk " + std::to_string(want) + ", got " + std::to_string(got)).c_str());
    exact += got == want;
    ++pairs;
  }
  qInfo("bleu: %d of %d pairs bit-identical to NLTK", exact, pairs);
}

void TestEvalMetrics::scoresMatchLlamaFactoryWithJieba() {
  const auto jieba = installed_jieba();
  if (!jieba) QSKIP("jieba's dictionary is not installed");
  for (const Json& pair : reference().at("pairs")) {
    const SimilarityScores s =
        compute_similarity(pair.at("prediction").get<std::string>(), pair.at("label").get<std::string>(), jieba.get());
    const Json& rouge = pair.at("rouge_jieba");
    QVERIFY2(std::fabs(s.bleu_4 - score_of(pair, "bleu-4")) <= kTolerance, where(pair, "bleu-4").c_str());
    QVERIFY2(std::fabs(s.rouge_1 - score_of(rouge, "rouge-1")) <= kTolerance, where(pair, "rouge-1").c_str());
    QVERIFY2(std::fabs(s.rouge_2 - score_of(rouge, "rouge-2")) <= kTolerance, where(pair, "rouge-2").c_str());
    QVERIFY2(std::fabs(s.rouge_l - score_of(rouge, "rouge-l")) <= kTolerance, where(pair, "rouge-l").c_str());
  }
}

void TestEvalMetrics::scoresOverCharactersMatchReference() {
  for (const Json& pair : reference().at("pairs")) {
    const SimilarityScores s =
        compute_similarity(pair.at("prediction").get<std::string>(), pair.at("label").get<std::string>(), nullptr);
    const Json& rouge = pair.at("rouge_characters");
    QVERIFY2(std::fabs(s.bleu_4 - score_of(pair, "bleu-4")) <= kTolerance, where(pair, "bleu-4").c_str());
    QVERIFY2(std::fabs(s.rouge_1 - score_of(rouge, "rouge-1")) <= kTolerance, where(pair, "rouge-1").c_str());
    QVERIFY2(std::fabs(s.rouge_2 - score_of(rouge, "rouge-2")) <= kTolerance, where(pair, "rouge-2").c_str());
    QVERIFY2(std::fabs(s.rouge_l - score_of(rouge, "rouge-l")) <= kTolerance, where(pair, "rouge-l").c_str());
  }
}

void TestEvalMetrics::meansMatchNumpy() {
  for (const Json& check : reference().at("mean_checks")) {
    const auto values = check.at("values").get<std::vector<double>>();
    QCOMPARE(numpy_mean(values), check.at("mean").get<double>());  // bit for bit, every summation path
  }

  std::vector<SimilarityScores> characters;
  for (const Json& pair : reference().at("pairs"))
    characters.push_back(
        compute_similarity(pair.at("prediction").get<std::string>(), pair.at("label").get<std::string>(), nullptr));
  const SimilarityScores mean_chars = mean_similarity(characters);
  const Json& want_chars = reference().at("means_rouge_characters");
  QVERIFY(std::fabs(mean_chars.rouge_1 - score_of(want_chars, "rouge-1")) <= kTolerance);
  QVERIFY(std::fabs(mean_chars.rouge_2 - score_of(want_chars, "rouge-2")) <= kTolerance);
  QVERIFY(std::fabs(mean_chars.rouge_l - score_of(want_chars, "rouge-l")) <= kTolerance);
  QVERIFY(std::fabs(mean_chars.bleu_4 - score_of(reference().at("means"), "bleu-4")) <= kTolerance);

  const auto jieba = installed_jieba();
  if (!jieba) QSKIP("jieba's dictionary is not installed");
  std::vector<SimilarityScores> words;
  for (const Json& pair : reference().at("pairs"))
    words.push_back(compute_similarity(pair.at("prediction").get<std::string>(), pair.at("label").get<std::string>(),
                                       jieba.get()));
  const SimilarityScores mean = mean_similarity(words);
  const Json& want = reference().at("means");
  QVERIFY(std::fabs(mean.rouge_1 - score_of(want, "rouge-1")) <= kTolerance);
  QVERIFY(std::fabs(mean.rouge_2 - score_of(want, "rouge-2")) <= kTolerance);
  QVERIFY(std::fabs(mean.rouge_l - score_of(want, "rouge-l")) <= kTolerance);
}

void TestEvalMetrics::roundingMatchesPython() {
  for (const Json& check : reference().at("round_checks")) {
    const double x = check.at(0).get<double>();
    QVERIFY2(python_round(x, 4) == check.at(1).get<double>(), ("round(" + check.at(0).dump() + ", 4)").c_str());
  }
}

void TestEvalMetrics::rougeNeedsASentence() {
  QVERIFY_THROWS_EXCEPTION(vltune::Error, rouge_chinese_scores(U"", U"有 内容"));
  QVERIFY_THROWS_EXCEPTION(vltune::Error, rouge_chinese_scores(U"有 内容", U"   "));
  // LLaMA-Factory's guard scores such pairs 0 instead of calling rouge_chinese.
  const RougeScores zero = rouge_over_tokens({U" ", U"\n"}, {U"有", U"内容"});
  QCOMPARE(zero.rouge_1, 0.0);
  QCOMPARE(zero.rouge_l, 0.0);
}

void TestEvalMetrics::fallbackIsLabelled() {
  vltune::test::TempDir empty;
  const SimilarityScorer scorer(SimilarityParams{empty.path()});
  QVERIFY(scorer.rouge_tokens() == RougeTokens::characters);
  QCOMPARE(scorer.jieba_dir(), empty.path());

  const Json& pair = reference().at("pairs").at(2);  // Chinese, where words and characters differ
  const SimilarityScores s = scorer.score(pair.at("prediction").get<std::string>(), pair.at("label").get<std::string>());
  QVERIFY(std::fabs(s.rouge_1 - score_of(pair.at("rouge_characters"), "rouge-1")) <= kTolerance);

  PredictResults results;
  results.rouge_tokens = scorer.rouge_tokens();
  const Json metrics = predict_metrics(results);
  QCOMPARE(metrics.at("predict_rouge_note").get<std::string>(), std::string(kRougeOverCharacters));
  QCOMPARE(std::string(kRougeOverCharacters), std::string("rouge over characters (jieba dictionary not found)"));
  results.rouge_tokens = RougeTokens::jieba_words;
  QVERIFY(!predict_metrics(results).contains("predict_rouge_note"));
}

void TestEvalMetrics::jiebaDirComesFromParamThenEnv() {
  const char* saved = std::getenv("VLTUNE_JIEBA_DIR");
  const std::string saved_value = saved ? saved : "";
  ::unsetenv("VLTUNE_JIEBA_DIR");
  QCOMPARE(jieba_data_dir(), std::filesystem::path(kDebianJiebaDir));
  ::setenv("VLTUNE_JIEBA_DIR", "/opt/jieba", 1);
  QCOMPARE(jieba_data_dir(), std::filesystem::path("/opt/jieba"));
  QCOMPARE(jieba_data_dir("/given"), std::filesystem::path("/given"));
  if (saved) ::setenv("VLTUNE_JIEBA_DIR", saved_value.c_str(), 1);
  else ::unsetenv("VLTUNE_JIEBA_DIR");

  vltune::test::TempDir empty;
  QVERIFY(!JiebaSegmenter::available(empty.path()));
  QVERIFY(shared_jieba_segmenter(empty.path()) == nullptr);
}

void TestEvalMetrics::malformedJiebaFilesNameFileAndLine() {
  vltune::test::TempDir dir;
  write_small_hmm(dir.path());
  write_text(dir.path() / "dict.txt", "一 100 m\n一一\n");
  QVERIFY(JiebaSegmenter::available(dir.path()));
  std::string msg = vltune::test::format_error([&] { JiebaSegmenter::load(dir.path()); });
  QVERIFY2(vltune::test::contains(msg, (dir.path() / "dict.txt").string() + ": line 2"), msg.c_str());

  write_text(dir.path() / "dict.txt", "一 100 m\n一一 ten m\n");
  msg = vltune::test::format_error([&] { JiebaSegmenter::load(dir.path()); });
  QVERIFY2(vltune::test::contains(msg, "line 2: the frequency is not an integer"), msg.c_str());

  write_text(dir.path() / "dict.txt", "一 100 m\n一一 20 m\n");
  QCOMPARE(JiebaSegmenter::load(dir.path())->word_count(), size_t{2});

  write_text(dir.path() / "finalseg" / "prob_emit.py", "P={'B': {'\\u4e00': -3.6},\n 'E': {'\\u4e00': oops}}\n");
  msg = vltune::test::format_error([&] { JiebaSegmenter::load(dir.path()); });
  QVERIFY2(vltune::test::contains(msg, (dir.path() / "finalseg" / "prob_emit.py").string() + ": line 2"), msg.c_str());
}

void TestEvalMetrics::predictionLinesMatchPython() {
  const Json& writers = reference().at("writers");
  std::string lines;
  for (const Json& r : writers.at("records"))
    lines += generated_prediction_line(
        {r.at("prompt").get<std::string>(), r.at("predict").get<std::string>(), r.at("label").get<std::string>()});
  QCOMPARE(QString::fromStdString(lines), QString::fromStdString(writers.at("jsonl").get<std::string>()));
}

void TestEvalMetrics::predictResultsMatchPython() {
  const Json& writers = reference().at("writers");
  const Json& means = reference().at("means");
  const Json& chars = reference().at("means_rouge_characters");
  PredictResults results;
  results.mean = {score_of(means, "bleu-4"), score_of(means, "rouge-1"), score_of(means, "rouge-2"),
                  score_of(means, "rouge-l")};
  results.runtime_s = writers.at("run").at("runtime").get<double>();
  results.samples = writers.at("run").at("samples").get<int64_t>();
  results.steps = writers.at("run").at("steps").get<int64_t>();
  QCOMPARE(QString::fromStdString(python_json_text(predict_metrics(results))),
           QString::fromStdString(writers.at("predict_results").get<std::string>()));

  results.mean.rouge_1 = score_of(chars, "rouge-1");
  results.mean.rouge_2 = score_of(chars, "rouge-2");
  results.mean.rouge_l = score_of(chars, "rouge-l");
  results.rouge_tokens = RougeTokens::characters;
  QCOMPARE(QString::fromStdString(python_json_text(predict_metrics(results))),
           QString::fromStdString(writers.at("predict_results_rouge_characters").get<std::string>()));

  QCOMPARE(QString::fromStdString(python_json_text(writers.at("float_values"))),
           QString::fromStdString(writers.at("float_values_text").get<std::string>()));
}

void TestEvalMetrics::writersWriteFilesThatParseBack() {
  const Json& writers = reference().at("writers");
  vltune::test::TempDir dir;
  std::vector<PredictionRecord> records;
  for (const Json& r : writers.at("records"))
    records.push_back({r.at("prompt").get<std::string>(), r.at("predict").get<std::string>(), r.at("label").get<std::string>()});
  write_generated_predictions(dir.path() / "generated_predictions.jsonl", records);
  std::istringstream lines(read_text(dir.path() / "generated_predictions.jsonl"));
  std::string line;
  size_t count = 0;
  for (; std::getline(lines, line); ++count) {
    const Json row = Json::parse(line);
    QCOMPARE(row.size(), size_t{3});
    QCOMPARE(row.at("prompt").get<std::string>(), records[count].prompt);
    QCOMPARE(row.at("predict").get<std::string>(), records[count].predict);
    QCOMPARE(row.at("label").get<std::string>(), records[count].label);
  }
  QCOMPARE(count, records.size());

  // A training run left all_results.json: the predict keys are merged into it, as save_metrics does.
  write_text(dir.path() / "all_results.json", writers.at("all_results_before").get<std::string>());
  PredictResults results;
  const Json& means = reference().at("means");
  results.mean = {score_of(means, "bleu-4"), score_of(means, "rouge-1"), score_of(means, "rouge-2"),
                  score_of(means, "rouge-l")};
  results.runtime_s = writers.at("run").at("runtime").get<double>();
  results.samples = writers.at("run").at("samples").get<int64_t>();
  results.steps = writers.at("run").at("steps").get<int64_t>();
  write_predict_results(dir.path(), results);
  QCOMPARE(QString::fromStdString(read_text(dir.path() / "predict_results.json")),
           QString::fromStdString(writers.at("predict_results").get<std::string>()));
  QCOMPARE(QString::fromStdString(read_text(dir.path() / "all_results.json")),
           QString::fromStdString(writers.at("all_results_after").get<std::string>()));
  const Json parsed = Json::parse(read_text(dir.path() / "predict_results.json"));
  for (const char* key : {"predict_bleu-4", "predict_rouge-1", "predict_rouge-2", "predict_rouge-l", "predict_runtime",
                          "predict_samples_per_second", "predict_steps_per_second"})
    QVERIFY2(parsed.contains(key) && parsed.at(key).is_number(), key);
  QCOMPARE(vltune::test::entry_count(dir.path()), 3);  // no temporary file left behind
}

QTEST_APPLESS_MAIN(TestEvalMetrics)
#include "test_eval_metrics.moc"
