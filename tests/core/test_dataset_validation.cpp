// Validation, statistics and the sample preview over hand-built records (the readers have their
// own test): every problem kind with its file and row, token lengths against counts made here
// from the fixture model's own tokenizer, the skip/stop policy.

#include <torch/torch.h>

#include "core/data/preview.h"
#include "core/data/statistics.h"
#include "core/data/validation.h"
#include "core/io/aux_configs.h"
#include "core/text/image_placeholders.h"
#include "core/text/tokenizer.h"
#include "tests/test_support.h"
#include "tests/tiny_png.h"

#include <QtTest>

using namespace vltune;
namespace fs = std::filesystem;

namespace {

data::Record row(const std::string& file, int64_t r, std::vector<data::Turn> turns,
                 std::vector<fs::path> images = {}) {
  data::Record rec;
  rec.file = file;
  rec.row = r;
  rec.turns = std::move(turns);
  for (const fs::path& p : images) rec.images.push_back({p.filename().string(), p, 0, 0});
  return rec;
}

bool has_problem(const data::DatasetReport& report, const std::string& file, int64_t r, data::ProblemKind kind) {
  return std::any_of(report.problems.begin(), report.problems.end(), [&](const data::Problem& p) {
    return p.file == file && p.row == r && p.kind == kind;
  });
}

int problems_of_row(const data::DatasetReport& report, const std::string& file, int64_t r) {
  return static_cast<int>(std::count_if(report.problems.begin(), report.problems.end(),
                                        [&](const data::Problem& p) { return p.file == file && p.row == r; }));
}

// The model of the fixture set's Qwen2-VL family (empty when the set has none).
fs::path qwen_fixture_model() {
  const auto families = test::fixture_families_of({io::ModelFamily::qwen2_vl});
  return families.empty() ? fs::path() : test::hf_fixtures_root() / families.front() / "model";
}

}  // namespace

class TestDatasetValidation : public QObject {
  Q_OBJECT
 private slots:
  void everyProblemKindNamesFileAndRow();
  void statisticsCountImagesTurnsAndSizes();
  void summarizeGivesPercentilesAndHistogram();
  void tokenLengthsMatchTheTemplateTextEncodedHere();
  void previewShowsTheMaskAndCollapsesImageTokens();
  void skipOrStop();
};

void TestDatasetValidation::everyProblemKindNamesFileAndRow() {
  test::TempDir dir;
  const fs::path good = dir.path() / "images/cat.png", other = dir.path() / "images/dog.png";
  test::write_png(good, 40, 30);
  test::write_png(other, 20, 20, 1);
  test::write_text(dir.path() / "images/broken.png", "this is not an image");

  data::Dataset ds;
  ds.root = dir.path();
  const std::string f = "train.json", g = "more.jsonl";
  ds.records = {
      row(f, 0, {{"user", "<image>What is it?"}, {"assistant", "A cat."}}, {good}),                // clean
      row(f, 1, {{"user", "<image>What is it?"}, {"assistant", "A ghost."}}, {dir.path() / "images/none.png"}),
      row(f, 2, {{"user", "<image>What is it?"}, {"assistant", "Noise."}}, {dir.path() / "images/broken.png"}),
      row(f, 3, {{"user", "<image><image>Compare."}, {"assistant", "Same."}}, {good}),
      row(f, 4, {{"user", "Say nothing."}, {"assistant", " \n\t"}}),
      row(f, 5, {{"user", "Hi"}, {"robot", "Beep."}}),
      row(f, 6, {{"user", "Hi"}, {"user", "Hello?"}}),
      row(f, 7, {{"user", "Hi"}, {"assistant", "Hello."}, {"user", "Bye"}}),
      row(g, 0, {{"user", "<image>What is it?"}, {"assistant", "A cat."}}, {good}),                // same as train.json row 0
      row(g, 2, {{"user", "<image>And this?"}, {"assistant", "A dog."}}, {other}),                 // clean
  };
  ds.records[9].bad_encoding = false;
  data::Record bad_text = row(g, 3, {{"user", "Caf\xef\xbf\xbd?"}, {"assistant", "Yes."}});
  bad_text.bad_encoding = true;
  ds.records.push_back(bad_text);
  // What reading found is passed through as it is.
  ds.problems.push_back({g, 1, data::ProblemKind::bad_json, "line 2, column 5: unexpected end", 2, 5});

  const data::DatasetReport report = data::validate_dataset(ds);
  using K = data::ProblemKind;
  QVERIFY(has_problem(report, f, 1, K::missing_image));
  QVERIFY(has_problem(report, f, 2, K::unreadable_image));
  QVERIFY(has_problem(report, f, 3, K::image_count_mismatch));
  QVERIFY(has_problem(report, f, 4, K::empty_answer));
  QVERIFY(has_problem(report, f, 5, K::unknown_role));
  QVERIFY(has_problem(report, f, 6, K::not_alternating));
  QVERIFY(has_problem(report, f, 7, K::not_alternating));
  QVERIFY(has_problem(report, g, 0, K::duplicate));
  QVERIFY(has_problem(report, g, 1, K::bad_json));
  QVERIFY(has_problem(report, g, 3, K::bad_encoding));
  // One problem per row here, none for the clean rows, nothing without a file and row.
  for (int64_t r = 1; r <= 7; ++r) QCOMPARE(problems_of_row(report, f, r), 1);
  QCOMPARE(problems_of_row(report, f, 0), 0);
  QCOMPARE(problems_of_row(report, g, 2), 0);
  QCOMPARE(report.problems.size(), size_t{10});
  // Messages say what a person must look at.
  for (const auto& p : report.problems) {
    if (p.kind == K::missing_image) QVERIFY(test::contains(p.message, "none.png"));
    if (p.kind == K::duplicate) QVERIFY2(test::contains(p.message, "train.json row 0"), p.message.c_str());
    if (p.kind == K::unknown_role) QVERIFY(test::contains(p.message, "robot"));
    if (p.kind == K::image_count_mismatch) QVERIFY(test::contains(p.message, "2 <image>"));
  }
  // Ordered by file, then row.
  QVERIFY(std::is_sorted(report.problems.begin(), report.problems.end(), [](const auto& a, const auto& b) {
    return std::tie(a.file, a.row) < std::tie(b.file, b.row);
  }));
  QCOMPARE(report.rows_with_problems, int64_t{9});  // g row 1 has no record: only its problem
  QVERIFY(!report.stats.tokens_measured);
}

void TestDatasetValidation::statisticsCountImagesTurnsAndSizes() {
  test::TempDir dir;
  const fs::path a = dir.path() / "a.png", b = dir.path() / "b.png", c = dir.path() / "c.png";
  test::write_png(a, 64, 32);
  test::write_png(b, 10, 90);
  test::write_png(c, 50, 50);
  data::Dataset ds;
  ds.records = {
      row("d.json", 0, {{"user", "<image>1"}, {"assistant", "x"}}, {a}),
      row("d.json", 1, {{"user", "<image><image>2"}, {"assistant", "y"}, {"user", "more"}, {"assistant", "z"}}, {a, b}),
      row("d.json", 2, {{"system", "Be brief."}, {"user", "<image>3"}, {"assistant", "w"}}, {c}),
      row("d.json", 3, {{"user", "text only"}, {"assistant", "v"}}),
  };
  const data::DatasetStats s = data::validate_dataset(ds).stats;
  QCOMPARE(s.samples, int64_t{4});
  QCOMPARE(s.images, int64_t{3});      // a is used twice
  QCOMPARE(s.image_refs, int64_t{4});
  QCOMPARE(s.turns, int64_t{2 + 4 + 2 + 2});  // the system turn is not a turn
  QCOMPARE(s.samples_with_images, int64_t{3});
  QCOMPARE(s.image_width.count, int64_t{3});
  QCOMPARE(s.image_width.min, int64_t{10});
  QCOMPARE(s.image_width.max, int64_t{64});
  QCOMPARE(s.image_height.p50, int64_t{50});
  QCOMPARE(s.image_longest_side.min, int64_t{50});
  QCOMPARE(s.image_longest_side.max, int64_t{90});
}

void TestDatasetValidation::summarizeGivesPercentilesAndHistogram() {
  std::vector<int64_t> v;
  for (int64_t i = 1; i <= 100; ++i) v.push_back(i);
  const data::Distribution d = data::summarize(v, 10);
  QCOMPARE(d.count, int64_t{100});
  QCOMPARE(d.p50, int64_t{50});
  QCOMPARE(d.p95, int64_t{95});
  QCOMPARE(d.mean, 50.5);
  QCOMPARE(d.histogram.counts.size(), size_t{10});
  QCOMPARE(d.histogram.edges.front(), int64_t{1});
  QCOMPARE(d.histogram.edges.back(), int64_t{101});
  for (auto c : d.histogram.counts) QCOMPARE(c, int64_t{10});
  const data::Distribution one = data::summarize({7});
  QCOMPARE(one.histogram.counts, std::vector<int64_t>{1});
  QCOMPARE(data::summarize({}).count, int64_t{0});
}

void TestDatasetValidation::tokenLengthsMatchTheTemplateTextEncodedHere() {
  const fs::path model = qwen_fixture_model();
  if (model.empty()) QSKIP("no qwen2_vl family in this fixture set");
  test::TempDir dir;
  const fs::path img = dir.path() / "img.png";
  test::write_png(img, 300, 200);
  const auto tokenizer = text::load_tokenizer(model);
  const text::ConversationTemplate& tmpl = text::get_template("qwen2_vl");

  data::Dataset ds;
  ds.records = {row("d.json", 0, {{"user", "<image>Describe it."}, {"assistant", "A gradient."}}, {img}),
                row("d.json", 1, {{"user", "Hi"}, {"assistant", std::string(3000, 'a') + " end"}})};

  // The expected length, written out from LLaMA-Factory's qwen2_vl template: system block, the
  // user block with the image's pads (one per 2x2 merged patches of the resized grid), the answer.
  const auto preprocessor = io::read_preprocessor_config(model / "preprocessor_config.json");
  const text::QwenGrid grid = text::qwen_image_grid({300, 200}, preprocessor);
  const int64_t merge = preprocessor.merge_size;
  std::string pads;
  for (int64_t k = 0; k < grid.t * grid.h * grid.w / (merge * merge); ++k) pads += "<|image_pad|>";
  const std::string prompt = "<|im_start|>system\n" + tmpl.default_system + "<|im_end|>\n<|im_start|>user\n<|vision_start|>" +
                             pads + "<|vision_end|>Describe it.<|im_end|>\n<|im_start|>assistant\n";
  const int64_t expected = static_cast<int64_t>(tokenizer->encode(prompt).size() + tokenizer->encode("A gradient.<|im_end|>\n").size());

  data::ValidationParams params;
  params.tmpl = &tmpl;
  params.tokenizer = tokenizer.get();
  params.layout = text::load_image_layout(model);
  params.supervised.image.image_max_pixels = 1 << 30;  // no LLaMA-Factory shrink: the grid above is for 300x200
  params.supervised.cutoff_len = expected;
  data::DatasetReport report = data::validate_dataset(ds, params);
  QVERIFY(report.stats.tokens_measured);
  QCOMPARE(report.token_lengths[0], expected);
  QVERIFY(report.token_lengths[1] > 3000 / 8);
  QVERIFY(!has_problem(report, "d.json", 0, data::ProblemKind::too_long));  // exactly cutoff_len fits
  QVERIFY(has_problem(report, "d.json", 1, data::ProblemKind::too_long));
  QCOMPARE(report.stats.tokens.count, int64_t{2});
  QCOMPARE(report.stats.tokens.min, expected);

  params.supervised.cutoff_len = expected - 1;
  report = data::validate_dataset(ds, params);
  QVERIFY(has_problem(report, "d.json", 0, data::ProblemKind::too_long));

  // LLaMA-Factory's pre-resize shrinks the image first: fewer pads, a shorter sample.
  params.supervised.image.image_max_pixels = 100 * 100;
  report = data::validate_dataset(ds, params);
  QVERIFY(report.token_lengths[0] < expected);
}

void TestDatasetValidation::previewShowsTheMaskAndCollapsesImageTokens() {
  const fs::path model = qwen_fixture_model();
  if (model.empty()) QSKIP("no qwen2_vl family in this fixture set");
  test::TempDir dir;
  const fs::path img = dir.path() / "img.png";
  test::write_png(img, 300, 200);
  const auto tokenizer = text::load_tokenizer(model);
  data::Dataset ds;
  ds.records = {row("d.json", 0, {{"user", "<image>Describe it."}, {"assistant", "A gradient."}}, {img})};

  data::ValidationParams params;
  params.tmpl = &text::get_template("qwen2_vl");
  params.tokenizer = tokenizer.get();
  params.layout = text::load_image_layout(model);
  params.supervised.image.image_max_pixels = 1 << 30;
  const data::SamplePreview p = data::preview_sample(ds, 0, params);
  QVERIFY2(p.error.empty(), p.error.c_str());
  QCOMPARE(p.prompt.size(), size_t{2});
  QVERIFY(!p.prompt[0].learned);
  QVERIFY(p.prompt[1].learned);
  QCOMPARE(p.prompt[1].text, std::string("A gradient.<|im_end|>\n"));
  QCOMPARE(p.learned_tokens, static_cast<int64_t>(tokenizer->encode("A gradient.<|im_end|>\n").size()));
  const auto preprocessor = io::read_preprocessor_config(model / "preprocessor_config.json");
  const text::QwenGrid grid = text::qwen_image_grid({300, 200}, preprocessor);
  const int64_t pads = grid.h * grid.w / (preprocessor.merge_size * preprocessor.merge_size);
  QVERIFY2(test::contains(p.prompt[0].text, "<|vision_start|><|image_pad|>\u00d7" + std::to_string(pads) + "<|vision_end|>"),
           p.prompt[0].text.c_str());
  QCOMPARE(p.record.images.at(0).path, img);

  // Without a tokenizer: the record alone. Past the end: out_of_range.
  const data::SamplePreview bare = data::preview_sample(ds, 0, {});
  QVERIFY(bare.prompt.empty());
  QCOMPARE(bare.record.turns.size(), size_t{2});
  QVERIFY_THROWS_EXCEPTION(std::out_of_range, data::preview_sample(ds, 1, {}));
}

void TestDatasetValidation::skipOrStop() {
  test::TempDir dir;
  data::Dataset ds;
  ds.records = {row("d.json", 0, {{"user", "a"}, {"assistant", "b"}}), row("d.json", 1, {{"user", "a"}, {"assistant", ""}}),
                row("d.json", 2, {{"user", "c"}, {"assistant", "d"}})};
  data::DatasetReport report = data::validate_dataset(ds);
  int64_t skipped = -1;
  QCOMPARE(data::usable_records(ds, report, data::ProblemPolicy::skip, &skipped), (std::vector<size_t>{0, 2}));
  QCOMPARE(skipped, int64_t{1});
  const std::string stop = test::format_error([&] { data::usable_records(ds, report, data::ProblemPolicy::stop); });
  QVERIFY2(test::contains(stop, "d.json row 1: empty_answer"), stop.c_str());

  // A file that could not be read at all hides an unknown number of rows: never skipped quietly.
  ds.problems.push_back({"broken.json", -1, data::ProblemKind::bad_json, "line 3, column 1: syntax error", 3, 1});
  report = data::validate_dataset(ds);
  const std::string whole = test::format_error([&] { data::usable_records(ds, report, data::ProblemPolicy::skip); });
  QVERIFY2(test::contains(whole, "broken.json"), whole.c_str());
}

QTEST_GUILESS_MAIN(TestDatasetValidation)
#include "test_dataset_validation.moc"
