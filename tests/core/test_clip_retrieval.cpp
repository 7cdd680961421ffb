// CLIP retrieval (core/gen/clip_retrieval.h) on the fixtures' tiny CLIP (every family whose config
// is clip): scores of the reference's texts and images against transformers' logits_per_image,
// base (no adapter) and LoRA, from one loaded model; the base side bit for bit a model that never
// had an adapter; the active adapters and the training mode restored; captions encoded as the
// trainer encodes them; recall@k against a brute-force count; errors that name the input; and
// `vltune-cli retrieve`. Tolerances from the fixtures README; expected values read from the files.

// LibTorch before Qt: Qt's `slots` macro would break torch's headers.
#include "core/data/dataset.h"
#include "core/data/sample_encoder.h"
#include "core/gen/clip_retrieval.h"
#include "core/lora/lora_factory.h"
#include "core/models/clip.h"

#include <QtTest/QtTest>

#include "tests/cli_support.h"
#include "tests/model_parity_support.h"

#include <cstdio>
#include <fstream>

#include "core/error.h"
#include "tests/test_support.h"

using vltune::test::error_of;

namespace fs = std::filesystem;
using vltune::gen::ClipScores;
using vltune::text::TokenId;

namespace {

void add_family_rows() { vltune::test::add_family_rows(vltune::test::fixture_families_of({vltune::io::ModelFamily::clip}), "CLIP"); }

using Fixture = vltune::test::ParityFixture;
using vltune::test::compare_logits;

// The reference's texts without their padding: row i cut to its attention mask.
std::vector<std::vector<TokenId>> reference_texts(const Fixture& f) {
  const auto ids = f.tensors.tensor("input.input_ids");
  const auto mask = f.tensors.tensor("input.attention_mask");
  std::vector<std::vector<TokenId>> out;
  for (int64_t i = 0; i < ids.size(0); ++i) {
    const int64_t n = mask[i].sum().item<int64_t>();
    std::vector<TokenId> row;
    for (int64_t j = 0; j < n; ++j) row.push_back(static_cast<TokenId>(ids[i][j].item<int64_t>()));
    out.push_back(row);
  }
  return out;
}

std::vector<fs::path> reference_image_files(const Fixture& f) {
  std::vector<fs::path> files;
  for (const auto& name : f.reference.at("images")) files.push_back(vltune::test::hf_fixtures_root() / "images" / name.get<std::string>());
  return files;
}

std::unique_ptr<vltune::lora::LoraModel> adapted_model(const Fixture& f) {
  auto model = vltune::lora::open_model(f.dir / "model");
  model->load_adapter(f.dir / "adapter");
  return model;
}

// Captions of some length, one of them longer than any CLIP text here (cut to max_position_embeddings).
std::vector<std::string> some_captions() {
  std::string long_caption;
  for (int i = 0; i < 40; ++i) long_caption += "a long caption about a gray grid and noise ";
  return {"a smooth colour gradient", "a gray picture", "a black and white grid", "random noise", long_caption};
}

// An image_captions dataset of the fixture images with a caption each: "<image>.txt".
void write_caption_dataset(const Fixture& f, const fs::path& dir) {
  const auto files = reference_image_files(f);
  const auto captions = some_captions();
  for (size_t i = 0; i < files.size(); ++i) {
    fs::copy_file(files[i], dir / files[i].filename());
    std::ofstream(dir / (files[i].stem().string() + ".txt")) << captions[i % captions.size()];
  }
}

// The brute-force recall@k: for query i, count the other candidates scoring >= the match.
double brute_recall(const torch::Tensor& s, int64_t k) {
  const int64_t n = s.size(0);
  int64_t hits = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float match = s[i][i].item<float>();
    int64_t ahead = 0;
    for (int64_t j = 0; j < n; ++j)
      if (j != i && s[i][j].item<float>() >= match) ++ahead;
    if (ahead < k) ++hits;
  }
  return static_cast<double>(hits) / static_cast<double>(n);
}

using CliRun = vltune::test::CliRun;

CliRun run_cli(const QStringList& args) {
  return vltune::test::run_program(QStringLiteral(VLTUNE_CLI_PATH), args);
}

QString q(const fs::path& p) { return QString::fromStdString(p.string()); }

std::string fixed4(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

}  // namespace

class TestClipRetrieval : public QObject {
  Q_OBJECT

 private slots:
  void scoresMatchReference_data() { add_family_rows(); }
  void scoresMatchReference();
  void imageFilesMatchReference_data() { add_family_rows(); }
  void imageFilesMatchReference();
  void baseIsAdapterFree_data() { add_family_rows(); }
  void baseIsAdapterFree();
  void captionsEncodedAsTrained_data() { add_family_rows(); }
  void captionsEncodedAsTrained();
  void recallOnDataset_data() { add_family_rows(); }
  void recallOnDataset();
  void recallTies();
  void badInputNamesIt_data() { add_family_rows(); }
  void badInputNamesIt();
  void cliRetrieve_data() { add_family_rows(); }
  void cliRetrieve();
};

void TestClipRetrieval::scoresMatchReference() {
  // The reference's four texts and four images, base and LoRA on one loaded model, against
  // transformers' logits_per_image; embedded in batches of 3 so that a batch boundary is crossed.
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  auto model = adapted_model(f);
  const vltune::data::SampleEncoder encoder(f.dir / "model");
  const auto texts = reference_texts(f);
  const auto pixels = f.tensors.tensor("input.pixel_values");
  vltune::gen::RetrievalParams params;
  params.batch_size = 3;
  model->set_training(true);
  const auto both = vltune::gen::base_and_adapted(*model, {"default"}, [&] {
    return vltune::gen::score_encoded(*model, texts, encoder.pad_id(), pixels, params);
  });
  QCOMPARE(model->active_adapters(), std::vector<std::string>{"default"});
  QVERIFY2(model->module().is_training(), "the training mode was not restored");

  const auto check = [&](const ClipScores& got, const torch::Tensor& ref, const char* what) {
    compare_logits(got.logits_per_image, ref, what);
    compare_logits(got.probs_per_image, torch::softmax(ref, /*dim=*/1), "probs_per_image");
    compare_logits(got.probs_per_text, torch::softmax(ref.t(), /*dim=*/1), "probs_per_text");
    // Probabilities: each query's sum to 1.
    compare_logits(got.probs_per_image.sum(/*dim=*/1), torch::ones({ref.size(0)}), "probs_per_image row sums");
  };
  check(both.base, f.tensors.tensor("base.logits_per_image"), "base.logits_per_image");
  if (QTest::currentTestFailed()) return;
  check(both.adapted, f.tensors.tensor("lora.logits_per_image"), "lora.logits_per_image");
  if (QTest::currentTestFailed()) return;
  const double apart = (both.base.logits_per_image - both.adapted.logits_per_image).abs().max().item<double>();
  QVERIFY2(apart > 1e-3, "the adapter changes nothing: the base side ran with it, or the adapted side without");

  // Starting from no active adapter, that is what remains.
  model->set_active_adapters({});
  vltune::gen::base_and_adapted(*model, {"default"}, [&] { return vltune::gen::score_encoded(*model, texts, encoder.pad_id(), pixels); });
  QVERIFY(model->active_adapters().empty());
  // And when the job throws.
  model->set_active_adapters({"default"});
  const auto failing = [&]() -> int { throw vltune::Error("job failed"); };
  QVERIFY_EXCEPTION_THROWN((void)(vltune::gen::base_and_adapted(*model, {"default"}, failing)), vltune::Error);
  QCOMPARE(model->active_adapters(), std::vector<std::string>{"default"});
}

void TestClipRetrieval::imageFilesMatchReference() {
  // Image files through the encoder's preprocessing give the reference's image embeddings: a
  // caption against the reference images scores as the reference image_embeds do.
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  if (!f.reference.contains("images")) QSKIP("reference.json names no images");
  auto model = vltune::lora::open_model(f.dir / "model");
  const vltune::data::SampleEncoder encoder(f.dir / "model");
  const std::string caption = "a black and white grid";
  vltune::gen::RetrievalParams params;
  params.batch_size = 3;
  const auto got = vltune::gen::score_caption_images(*model, encoder, caption, reference_image_files(f), params);
  const std::vector<std::vector<TokenId>> ids{vltune::gen::clip_caption_ids(encoder, caption, "caption")};
  const auto text = vltune::gen::embed_texts(*model, ids, encoder.pad_id());
  const auto expected = vltune::gen::scores_from_embeddings(*model, f.tensors.tensor("base.image_embeds"), text);
  compare_logits(got.logits_per_image, expected.logits_per_image, "caption against the image files");
  compare_logits(got.probs_per_text, expected.probs_per_text, "probs over the image files");
  QCOMPARE(got.logits_per_image.sizes().vec(), (std::vector<int64_t>{static_cast<int64_t>(reference_image_files(f).size()), 1}));
}

void TestClipRetrieval::baseIsAdapterFree() {
  // The base side of one adapted model equals a model that never had an adapter, bit for bit, in
  // all three jobs; the adapted side differs.
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  auto model = adapted_model(f);
  auto fresh = vltune::lora::open_model(f.dir / "model");
  const vltune::data::SampleEncoder encoder(f.dir / "model");
  const auto files = reference_image_files(f);
  const auto captions = some_captions();

  const auto image = vltune::gen::base_and_adapted(*model, {"default"}, [&] {
    return vltune::gen::score_image_captions(*model, encoder, files.front(), captions);
  });
  const auto image_fresh = vltune::gen::score_image_captions(*fresh, encoder, files.front(), captions);
  QVERIFY(torch::equal(image.base.logits_per_image, image_fresh.logits_per_image));
  QVERIFY(torch::equal(image.base.probs_per_image, image_fresh.probs_per_image));
  QVERIFY(!torch::allclose(image.base.logits_per_image, image.adapted.logits_per_image));
  QCOMPARE(image.base.logits_per_image.sizes().vec(), (std::vector<int64_t>{1, static_cast<int64_t>(captions.size())}));

  const auto ranked = vltune::gen::base_and_adapted(*model, {"default"}, [&] {
    return vltune::gen::score_caption_images(*model, encoder, captions.front(), files);
  });
  const auto ranked_fresh = vltune::gen::score_caption_images(*fresh, encoder, captions.front(), files);
  QVERIFY(torch::equal(ranked.base.logits_per_image, ranked_fresh.logits_per_image));
  QVERIFY(!torch::allclose(ranked.base.logits_per_image, ranked.adapted.logits_per_image));

  vltune::test::TempDir dir;
  write_caption_dataset(f, dir.path());
  const auto records = vltune::data::open_dataset(dir.path()).records;
  const auto reports = vltune::gen::base_and_adapted(*model, {"default"}, [&] {
    return vltune::gen::evaluate_retrieval(*model, encoder, records);
  });
  const auto report_fresh = vltune::gen::evaluate_retrieval(*fresh, encoder, records);
  QVERIFY(torch::equal(reports.base.logits_per_image, report_fresh.logits_per_image));
  QVERIFY(!torch::allclose(reports.base.logits_per_image, reports.adapted.logits_per_image));
  QCOMPARE(model->active_adapters(), std::vector<std::string>{"default"});
}

void TestClipRetrieval::captionsEncodedAsTrained() {
  // clip_caption_ids is SampleEncoder's CLIP encoding (the long caption cut, the end token kept),
  // and scoring an image file against captions is CLIPModel's forward on those inputs.
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  const vltune::data::SampleEncoder encoder(f.dir / "model");
  const auto files = reference_image_files(f);
  const auto captions = some_captions();
  std::vector<vltune::data::EncodedExample> examples;
  for (size_t i = 0; i < captions.size(); ++i) {
    vltune::data::Record record;
    record.file = "captions.txt";
    record.row = static_cast<int64_t>(i);
    record.caption = captions[i];
    record.images.push_back({files.front().string(), files.front(), 0, 0});
    examples.push_back(encoder.encode(record, static_cast<int64_t>(i)));
    QCOMPARE(vltune::gen::clip_caption_ids(encoder, captions[i], "caption"), examples.back().input_ids);
  }
  const auto max = encoder.config().clip().text.max_position_embeddings;
  QCOMPARE(static_cast<int64_t>(examples.back().input_ids.size()), max);  // the long one was cut

  auto model = vltune::lora::open_model(f.dir / "model");
  const auto got = vltune::gen::score_image_captions(*model, encoder, files.front(), captions);
  // CLIPModel's forward on the same texts (padded) and image, through the trainer's batch layout.
  std::vector<vltune::data::EncodedExample> texts_only = examples;
  for (auto& e : texts_only) e.pixel_values = torch::Tensor();
  const auto batch = vltune::data::collate(texts_only, vltune::io::ModelFamily::clip, encoder.pad_id());
  auto& clip = std::get<vltune::models::ClipModel>(model->model());
  torch::NoGradGuard no_grad;
  const auto out = clip->forward({batch.input_ids, batch.attention_mask, examples.front().pixel_values});
  compare_logits(got.logits_per_image, out.logits_per_image, "score_image_captions against CLIPModel.forward");
  compare_logits(got.probs_per_image, torch::softmax(out.logits_per_image, /*dim=*/1), "probabilities");
}

void TestClipRetrieval::recallOnDataset() {
  // recall@k over a captioned folder equals the brute-force count on the same matrix, grows with
  // k, and is 1 at k >= N; the matrix is the pairs' scores whatever the batch size.
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  vltune::test::TempDir dir;
  write_caption_dataset(f, dir.path());
  const auto dataset = vltune::data::open_dataset(dir.path());
  QCOMPARE(dataset.format, vltune::data::DatasetFormat::image_captions);
  const auto& records = dataset.records;
  const auto n = static_cast<int64_t>(records.size());
  QVERIFY(n >= 2);
  auto model = adapted_model(f);
  const vltune::data::SampleEncoder encoder(f.dir / "model");

  vltune::gen::RetrievalParams params;
  params.batch_size = 3;
  params.ks.clear();
  for (int64_t k = 1; k <= n + 2; ++k) params.ks.push_back(k);
  std::vector<std::pair<int64_t, int64_t>> progress;
  const auto report = vltune::gen::evaluate_retrieval(*model, encoder, records, params,
                                                      [&](int64_t done, int64_t total) { progress.emplace_back(done, total); });
  QCOMPARE(report.pairs, n);
  QCOMPARE(report.logits_per_image.sizes().vec(), (std::vector<int64_t>{n, n}));
  QVERIFY(!progress.empty());
  QCOMPARE(progress.back(), (std::pair<int64_t, int64_t>{n, n}));
  QCOMPARE(report.recall.size(), params.ks.size());
  for (size_t i = 0; i < report.recall.size(); ++i) {
    const auto& r = report.recall[i];
    QCOMPARE(r.k, params.ks[i]);
    QCOMPARE(r.image_to_text, brute_recall(report.logits_per_image, r.k));
    QCOMPARE(r.text_to_image, brute_recall(report.logits_per_image.t(), r.k));
    if (i > 0) {
      QVERIFY(r.image_to_text >= report.recall[i - 1].image_to_text);
      QVERIFY(r.text_to_image >= report.recall[i - 1].text_to_image);
    }
    if (r.k >= n) {
      QCOMPARE(r.image_to_text, 1.0);
      QCOMPARE(r.text_to_image, 1.0);
    }
  }

  // The same pairs scored in one batch: the same matrix within the README's tolerance.
  std::vector<std::vector<TokenId>> texts;
  std::vector<torch::Tensor> pixels;
  for (int64_t i = 0; i < n; ++i) {
    auto ex = encoder.encode(records[static_cast<size_t>(i)], i);
    texts.push_back(ex.input_ids);
    pixels.push_back(ex.pixel_values);
  }
  vltune::gen::RetrievalParams one_batch;
  one_batch.batch_size = n;
  const auto whole = vltune::gen::score_encoded(*model, texts, encoder.pad_id(), torch::cat(pixels, 0), one_batch);
  compare_logits(report.logits_per_image, whole.logits_per_image, "dataset matrix against one batch");
}

void TestClipRetrieval::recallTies() {
  // Ties count against the match; a clean diagonal is found at k = 1.
  const auto flat = torch::ones({4, 4});
  auto r = vltune::gen::recall_at_k(flat, {1, 3, 4});
  QCOMPARE(r[0].image_to_text, 0.0);
  QCOMPARE(r[1].text_to_image, 0.0);
  QCOMPARE(r[2].image_to_text, 1.0);
  QCOMPARE(r[2].text_to_image, 1.0);
  r = vltune::gen::recall_at_k(torch::eye(5) * 10.0, {1});
  QCOMPARE(r[0].image_to_text, 1.0);
  QCOMPARE(r[0].text_to_image, 1.0);
  // Row 0 misses at k=1 (column 1 beats it), column 0 does not: the directions differ.
  const auto s = torch::tensor({{1.0f, 2.0f, 0.0f}, {0.0f, 3.0f, 0.0f}, {0.0f, 0.0f, 1.0f}});
  r = vltune::gen::recall_at_k(s, {1, 2});
  QCOMPARE(r[0].image_to_text, brute_recall(s, 1));
  QCOMPARE(r[0].text_to_image, brute_recall(s.t(), 1));
  QCOMPARE(r[0].image_to_text, 2.0 / 3.0);
  QCOMPARE(r[0].text_to_image, 1.0);
  QCOMPARE(r[1].image_to_text, 1.0);
  QVERIFY(vltune::test::contains(error_of([] { vltune::gen::recall_at_k(torch::ones({2, 3}), {1}); }), "square"));
  QVERIFY(vltune::test::contains(error_of([] { vltune::gen::recall_at_k(torch::ones({2, 2}), {0}); }), "k must be positive"));
}

void TestClipRetrieval::badInputNamesIt() {
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  auto model = adapted_model(f);
  const vltune::data::SampleEncoder encoder(f.dir / "model");
  const auto files = reference_image_files(f);
  const fs::path missing = f.dir / "no_such_image.png";
  std::string e;

  e = error_of([&] { vltune::gen::score_image_captions(*model, encoder, files.front(), {}); });
  QVERIFY2(vltune::test::contains(e, "no caption") && vltune::test::contains(e, files.front().string()), e.c_str());
  e = error_of([&] { vltune::gen::score_image_captions(*model, encoder, missing, {"a caption"}); });
  QVERIFY2(vltune::test::contains(e, missing.string()), e.c_str());
  QVERIFY_EXCEPTION_THROWN((void)(vltune::gen::score_image_captions(*model, encoder, missing, {"a caption"})), vltune::FileError);
  e = error_of([&] { vltune::gen::score_image_captions(*model, encoder, files.front(), {"fine", "  "}); });
  QVERIFY2(vltune::test::contains(e, "caption 2"), e.c_str());
  e = error_of([&] { vltune::gen::score_caption_images(*model, encoder, "a caption", {}); });
  QVERIFY2(vltune::test::contains(e, "no image"), e.c_str());
  e = error_of([&] { vltune::gen::score_caption_images(*model, encoder, "a caption", {files.front(), missing}); });
  QVERIFY2(vltune::test::contains(e, missing.string()), e.c_str());
  e = error_of([&] { vltune::gen::evaluate_retrieval(*model, encoder, {}); });
  QVERIFY2(vltune::test::contains(e, "no captioned image"), e.c_str());
  vltune::data::Record bad;
  bad.file = "captions.jsonl";
  bad.row = 7;
  bad.caption = "a caption";
  bad.images.push_back({"gone.png", {}, 0, 0});
  e = error_of([&] { vltune::gen::evaluate_retrieval(*model, encoder, std::vector<vltune::data::Record>{bad}); });
  QVERIFY2(vltune::test::contains(e, "captions.jsonl") && vltune::test::contains(e, "gone.png"), e.c_str());
  vltune::gen::RetrievalParams zero;
  zero.batch_size = 0;
  e = error_of([&] { vltune::gen::score_image_captions(*model, encoder, files.front(), {"a caption"}, zero); });
  QVERIFY2(vltune::test::contains(e, "batch_size"), e.c_str());

  // base_and_adapted: nothing to compare, or an adapter the model lacks; the active set unchanged.
  e = error_of([&] { vltune::gen::base_and_adapted(*model, {}, [] { return 0; }); });
  QVERIFY2(vltune::test::contains(e, "no adapter"), e.c_str());
  e = error_of([&] { vltune::gen::base_and_adapted(*model, {"nope"}, [] { return 0; }); });
  QVERIFY2(vltune::test::contains(e, "nope"), e.c_str());
  QCOMPARE(model->active_adapters(), std::vector<std::string>{"default"});

  vltune::test::TempDir empty;
  e = error_of([&] { vltune::gen::list_images(empty.path()); });
  QVERIFY2(vltune::test::contains(e, empty.path().string()), e.c_str());
  e = error_of([&] { vltune::gen::list_images(empty.path() / "absent"); });
  QVERIFY2(vltune::test::contains(e, (empty.path() / "absent").string()), e.c_str());
}

void TestClipRetrieval::cliRetrieve() {
  // The three modes, base and adapted columns with the library's numbers, and errors naming the file.
  QFETCH(QString, family);
  const Fixture f = vltune::test::parity_fixture(family);
  const auto files = reference_image_files(f);
  const QString model_dir = q(f.dir / "model"), adapter_dir = q(f.dir / "adapter");
  const vltune::data::SampleEncoder encoder(f.dir / "model");
  auto model = adapted_model(f);

  const std::vector<std::string> captions = {"a smooth colour gradient", "random noise"};
  CliRun r = run_cli({"retrieve", "--model", model_dir, "--adapter", adapter_dir, "--device", "cpu", "--image", q(files.front()),
                      QString::fromStdString(captions[0]), QString::fromStdString(captions[1])});
  QVERIFY2(r.code == 0, r.err.c_str());
  const auto both = vltune::gen::base_and_adapted(*model, {"default"}, [&] {
    return vltune::gen::score_image_captions(*model, encoder, files.front(), captions);
  });
  for (size_t i = 0; i < captions.size(); ++i) {
    const auto j = static_cast<int64_t>(i);
    for (const std::string& expected :
         {captions[i], fixed4(both.base.logits_per_image[0][j].item<double>()), fixed4(both.base.probs_per_image[0][j].item<double>()),
          fixed4(both.adapted.logits_per_image[0][j].item<double>()), fixed4(both.adapted.probs_per_image[0][j].item<double>())})
      QVERIFY2(vltune::test::contains(r.out, expected), (expected + " not in:\n" + r.out).c_str());
  }

  vltune::test::TempDir dir;
  write_caption_dataset(f, dir.path());
  r = run_cli({"retrieve", "--model", model_dir, "--device", "cpu", "--caption", "random noise", "--images", q(dir.path())});
  QVERIFY2(r.code == 0, r.err.c_str());
  for (const auto& file : files) QVERIFY2(vltune::test::contains(r.out, file.filename().string()), r.out.c_str());

  r = run_cli({"retrieve", "--model", model_dir, "--adapter", adapter_dir, "--device", "cpu", "--dataset", q(dir.path()),
               "--max-samples", "3"});
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY2(vltune::test::contains(r.out, "over 3 captioned images"), r.out.c_str());
  for (const char* k : {"R@1", "R@5", "R@10"}) QVERIFY2(vltune::test::contains(r.out, k), r.out.c_str());

  const fs::path missing = dir.path() / "missing.png";
  r = run_cli({"retrieve", "--model", model_dir, "--device", "cpu", "--image", q(missing), "a caption"});
  QCOMPARE(r.code, 1);
  QVERIFY2(vltune::test::contains(r.err, missing.string()), r.err.c_str());
  r = run_cli({"retrieve", "--model", model_dir, "--image", q(files.front())});
  QCOMPARE(r.code, 2);
  QVERIFY2(vltune::test::contains(r.err, "captions"), r.err.c_str());
}

QTEST_APPLESS_MAIN(TestClipRetrieval)
#include "test_clip_retrieval.moc"
