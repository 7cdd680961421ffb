// Sequence packing (core/data/packing.h, core/models/packed_rows.h), LLaMA-Factory's `packing`
// and `neat_packing`, on the fixture models (../shared/fixtures/hf/<family>/model):
//  - greedy_knapsack and plan_packs give LLaMA-Factory's rows: knapsacks worked out by hand from
//    its algorithm (sorted lengths, the longest that still fits, length2indexes popped from the
//    back), per preprocessing batch, lengths over the capacity dropped;
//  - neat packing: every packed sample's logits equal its logits alone, and the packed row's
//    summed loss and token count equal the samples' own, for every chat family, images included;
//  - plain packing: the first sample is unchanged, later ones see the samples before them;
//  - positions: LLaVA/Idefics3 count from 0 in each sample either way; Qwen's M-RoPE restarts in
//    each isolated sample and runs on over a plainly packed row;
//  - the loader over packed rows (segments, records, shuffled rows, same for any worker count),
//    encoded_lengths (image sizes from headers, nothing decoded) against the encoder for every chat family,
//    and the errors that name what is wrong.

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include "core/data/batch_inputs.h"
#include "core/data/batch_loader.h"
#include "core/data/collate.h"
#include "core/data/packing.h"
#include "core/data/sample_encoder.h"
#include "core/error.h"
#include "core/lora/lora_factory.h"
#include "core/models/packed_rows.h"
#include "core/vision/image_io.h"

#include <QtTest/QtTest>

#include "tests/model_parity_support.h"

namespace {

namespace fs = std::filesystem;
using vltune::data::Batch;
using vltune::data::EncodedExample;
using vltune::data::Record;
using vltune::data::SampleEncoder;
using vltune::io::ModelFamily;

fs::path model_dir(const QString& family) { return vltune::test::hf_fixtures_root() / family.toStdString() / "model"; }

// The fixture images, sorted by name.
std::vector<std::string> fixture_images() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(vltune::test::hf_fixtures_root() / "images")) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// `n` chat rows of different lengths: an image in every other one when this build decodes images.
std::vector<Record> chat_records(int64_t n) {
  const bool images = vltune::vision::image_io_available();
  const auto names = fixture_images();
  std::vector<Record> out;
  for (int64_t i = 0; i < n; ++i) {
    Record r;
    r.file = "pack.json";
    r.row = i;
    const bool with_image = images && i % 2 == 0;
    std::string question = std::string(with_image ? "<image>" : "") + "Question " + std::to_string(i);
    for (int64_t k = 0; k < i % 3; ++k) question += ", and more words";
    r.turns = {{"user", question + "?"}, {"assistant", "Answer " + std::to_string(i * 7) + "."}};
    if (with_image) {
      const std::string name = names[static_cast<size_t>(i / 2) % names.size()];
      r.images.push_back({name, vltune::test::hf_fixtures_root() / "images" / name, 0, 0});
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::unique_ptr<vltune::lora::LoraModel> lora_model(const QString& family) {
  vltune::lora::LoraParams p;
  p.rank = 4;
  p.seed = 7;
  auto model = vltune::lora::open_lora_model(model_dir(family), p);
  model->set_training(false);
  return model;
}

// f(model, inputs) with the family's model and `batch` made its inputs.
template <typename F>
at::Tensor with_inputs(vltune::lora::LoraModel& model, const Batch& batch, F&& f) {
  at::Tensor out;
  std::visit(
      [&](auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, vltune::models::QwenVL>) out = f(m, vltune::data::qwen_inputs(batch));
        else if constexpr (std::is_same_v<M, vltune::models::Llava>) out = f(m, vltune::data::llava_inputs(batch));
        else if constexpr (std::is_same_v<M, vltune::models::Idefics3>) out = f(m, vltune::data::idefics3_inputs(batch));
      },
      model.model());
  return out;
}

// The logits of `batch` through the family's forward. -> [B, T, vocab]
at::Tensor logits_of(vltune::lora::LoraModel& model, const Batch& batch) {
  torch::NoGradGuard no_grad;
  return with_inputs(model, batch, [](auto& m, const auto& in) { return m->forward(in); });
}

// The position ids the family's model gives `batch`: [3, B, T] for Qwen, [B, T] otherwise.
at::Tensor positions_of(vltune::lora::LoraModel& model, const Batch& batch) {
  return with_inputs(model, batch, [](auto& m, const auto& in) { return m->position_ids(in); });
}

// The first `n` chat_records, each encoded alone.
std::vector<EncodedExample> encoded_records(const SampleEncoder& encoder, int64_t n) {
  const auto records = chat_records(n);
  std::vector<EncodedExample> parts;
  for (size_t i = 0; i < records.size(); ++i) parts.push_back(encoder.encode(records[i], static_cast<int64_t>(i)));
  return parts;
}

// One packed row of `parts` as a batch.
Batch packed_batch(const SampleEncoder& encoder, std::vector<EncodedExample> parts, bool isolated) {
  std::vector<EncodedExample> rows{vltune::data::pack_examples(std::move(parts))};
  Batch b = vltune::data::collate(rows, encoder.family(), encoder.pad_id());
  b.isolated_segments = isolated;
  return b;
}

Batch alone(const SampleEncoder& encoder, const EncodedExample& e) {
  return vltune::data::collate(std::span<const EncodedExample>(&e, 1), encoder.family(), encoder.pad_id());
}

void chat_family_rows() {
  vltune::test::add_family_rows(
      vltune::test::fixture_families_of({ModelFamily::qwen2_vl, ModelFamily::qwen2_5_vl, ModelFamily::llava, ModelFamily::idefics3}),
      "chat VLM");
}

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace

class TestPacking : public QObject {
  Q_OBJECT

 private slots:
  void knapsackAsLlamaFactory();
  void planAsLlamaFactory();
  void planRefusesWhatCannotPack();
  void packExamplesJoinsInOrder();
  void neatPackedSamplesComputeAlone_data() { chat_family_rows(); }
  void neatPackedSamplesComputeAlone();
  void plainPackingSeesEarlierSamples_data() { chat_family_rows(); }
  void plainPackingSeesEarlierSamples();
  void positionsOfPackedRows_data() { chat_family_rows(); }
  void positionsOfPackedRows();
  void imageAcrossSamplesIsRefused();
  void blockCausalMask();
  void loaderDeliversPackedRows();
  void encodedLengthsAsEncoded_data() { chat_family_rows(); }
  void encodedLengthsAsEncoded();
};

void TestPacking::knapsackAsLlamaFactory() {
  // Sorted [2, 3, 4, 5, 7, 8] in knapsacks of 10: 8 then 2; 7 then 3; 5 then 4.
  const std::vector<std::vector<int64_t>> expected{{8, 2}, {7, 3}, {5, 4}};
  QCOMPARE(vltune::data::greedy_knapsack({5, 3, 8, 2, 7, 4}, 10), expected);
  // The longest that fits, not the first: [9] alone (1 left, nothing fits), then 6 + 4 (0 left).
  const std::vector<std::vector<int64_t>> second{{9}, {6, 4}};
  QCOMPARE(vltune::data::greedy_knapsack({4, 9, 6}, 10), second);
  QVERIFY(vltune::data::greedy_knapsack({}, 10).empty());
  const QString message = QString::fromStdString(vltune::test::error_of([] { vltune::data::greedy_knapsack({3, 11}, 10); }));
  QVERIFY2(message.contains("11") && message.contains("10"), qPrintable(message));
}

void TestPacking::planAsLlamaFactory() {
  const std::vector<int64_t> samples{10, 11, 12, 13, 14, 15};
  const std::vector<int64_t> lengths{5, 3, 5, 2, 12, 5};
  // One chunk: 14 (12 > 10) dropped; knapsacks [5, 5] and [5, 3, 2]; each 5 taken by the last
  // sample of length 5 not yet packed (15, then 12, then 10).
  const auto plan = vltune::data::plan_packs(samples, lengths, {10, 1000});
  const std::vector<std::vector<int64_t>> packs{{15, 12}, {10, 11, 13}};
  QCOMPARE(plan.packs, packs);
  QCOMPARE(plan.dropped, std::vector<int64_t>{14});
  // Chunks of 2 pack apart: [10, 11], [12, 13], [15] (14 dropped).
  const auto chunked = vltune::data::plan_packs(samples, lengths, {10, 2});
  const std::vector<std::vector<int64_t>> chunked_packs{{10, 11}, {12, 13}, {15}};
  QCOMPARE(chunked.packs, chunked_packs);
  QCOMPARE(chunked.dropped, std::vector<int64_t>{14});
  // Every kept sample is in exactly one pack, and no pack is over the capacity.
  const auto big = vltune::data::plan_packs(std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
                                            std::vector<int64_t>{9, 1, 4, 4, 7, 2, 2, 8, 3, 5}, {10, 1000});
  std::vector<int64_t> seen;
  const std::vector<int64_t> len{9, 1, 4, 4, 7, 2, 2, 8, 3, 5};
  for (const auto& p : big.packs) {
    int64_t sum = 0;
    for (int64_t s : p) {
      seen.push_back(s);
      sum += len[static_cast<size_t>(s)];
    }
    QVERIFY(sum <= 10);
  }
  std::sort(seen.begin(), seen.end());
  QCOMPARE(seen, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  QCOMPARE(big.packs.size(), size_t{5});  // 45 tokens: at least 5 rows of 10, and greedy finds 5
}

void TestPacking::planRefusesWhatCannotPack() {
  const std::vector<int64_t> two{1, 2};
  QString message = QString::fromStdString(vltune::test::error_of([&] { vltune::data::plan_packs(two, std::vector<int64_t>{3}, {}); }));
  QVERIFY2(message.contains("2 samples") && message.contains("1 lengths"), qPrintable(message));
  message = QString::fromStdString(vltune::test::error_of([&] { vltune::data::plan_packs(two, two, {0, 10}); }));
  QVERIFY2(message.contains("capacity"), qPrintable(message));
}

void TestPacking::packExamplesJoinsInOrder() {
  EncodedExample a, b;
  a.index = 4;
  a.where = "d.json row 4";
  a.input_ids = {1, 2, 3};
  a.labels = {-100, 2, 3};
  b.index = 9;
  b.where = "d.json row 9";
  b.input_ids = {5, 6};
  b.labels = {-100, 6};
  b.pixel_values = at::ones({4, 12});
  b.image_grid_thw = at::tensor({1, 2, 2}, at::kLong).view({1, 3});
  const EncodedExample p = vltune::data::pack_examples({a, b});
  QCOMPARE(p.input_ids, (std::vector<vltune::text::TokenId>{1, 2, 3, 5, 6}));
  QCOMPARE(p.labels, (std::vector<vltune::text::TokenId>{-100, 2, 3, -100, 6}));
  QCOMPARE(p.packed_indices, (std::vector<int64_t>{4, 9}));
  QCOMPARE(p.packed_lengths, (std::vector<int64_t>{3, 2}));
  QVERIFY(at::equal(p.pixel_values, b.pixel_values) && at::equal(p.image_grid_thw, b.image_grid_thw));
  // collate: segments from 1, 0 on padding; indices every record.
  EncodedExample c;
  c.index = 2;
  c.where = "d.json row 2";
  c.input_ids = {7};
  c.labels = {7};
  const std::vector<EncodedExample> rows{p, vltune::data::pack_examples({c})};
  const Batch batch = vltune::data::collate(rows, ModelFamily::qwen2_vl, 0);
  QVERIFY(at::equal(batch.segment_ids, at::tensor({1, 1, 1, 2, 2, 1, 0, 0, 0, 0}, at::kLong).view({2, 5})));
  QCOMPARE(batch.indices, (std::vector<int64_t>{4, 9, 2}));
  // What is not packed, and mixed batches, are refused by name.
  EncodedExample pair = a;
  pair.rejected_input_ids = {1, 9};
  pair.rejected_labels = {-100, 9};
  QString message = QString::fromStdString(vltune::test::error_of([&] { vltune::data::pack_examples({a, pair}); }));
  QVERIFY2(message.contains("d.json row 4") && message.contains("preference"), qPrintable(message));
  message = QString::fromStdString(vltune::test::error_of([&] {
    const std::vector<EncodedExample> mixed{p, c};
    vltune::data::collate(mixed, ModelFamily::qwen2_vl, 0);
  }));
  QVERIFY2(message.contains("packed rows and single samples"), qPrintable(message));
}

void TestPacking::neatPackedSamplesComputeAlone() {
  QFETCH(QString, family);
  const SampleEncoder encoder(model_dir(family));
  auto model = lora_model(family);
  const std::vector<EncodedExample> parts = encoded_records(encoder, 3);
  const Batch packed = packed_batch(encoder, parts, /*isolated=*/true);
  const at::Tensor logits = logits_of(*model, packed);  // [1, T, V]
  int64_t start = 0;
  double sum = 0;
  int64_t tokens = 0;
  for (const auto& part : parts) {
    const auto n = static_cast<int64_t>(part.input_ids.size());
    const at::Tensor own = logits_of(*model, alone(encoder, part));  // [1, n, V]
    const double diff = max_abs_diff(logits.narrow(1, start, n), own);
    const double scale = own.abs().max().item<double>();
    qInfo("%s: sample of %lld tokens, max |packed - alone| %.3g (logits up to %.3g)", part.where.c_str(),
          static_cast<long long>(n), diff, scale);
    QVERIFY2(diff <= 1e-5 * std::max(1.0, scale), part.where.c_str());
    const auto l = model->loss(alone(encoder, part));
    sum += l.loss_sum.item<double>();
    tokens += l.tokens;
    start += n;
  }
  const auto l = model->loss(packed);
  QCOMPARE(l.tokens, tokens);
  QVERIFY2(std::abs(l.loss_sum.item<double>() - sum) <= 1e-5 * std::abs(sum),
           qPrintable(QString("packed loss sum %1, the samples' %2").arg(l.loss_sum.item<double>()).arg(sum)));
}

void TestPacking::plainPackingSeesEarlierSamples() {
  QFETCH(QString, family);
  const SampleEncoder encoder(model_dir(family));
  auto model = lora_model(family);
  const std::vector<EncodedExample> parts = encoded_records(encoder, 2);
  const at::Tensor plain = logits_of(*model, packed_batch(encoder, parts, /*isolated=*/false));
  const auto n0 = static_cast<int64_t>(parts[0].input_ids.size()), n1 = static_cast<int64_t>(parts[1].input_ids.size());
  // The first sample sees only itself anyway; the second attends to the first as well.
  QVERIFY(max_abs_diff(plain.narrow(1, 0, n0), logits_of(*model, alone(encoder, parts[0]))) <= 1e-5);
  QVERIFY(max_abs_diff(plain.narrow(1, n0, n1), logits_of(*model, alone(encoder, parts[1]))) > 1e-4);
}

void TestPacking::positionsOfPackedRows() {
  QFETCH(QString, family);
  const SampleEncoder encoder(model_dir(family));
  auto model = lora_model(family);
  const std::vector<EncodedExample> parts = encoded_records(encoder, 3);
  // Isolated: each sample's own positions, one after the other.
  std::vector<at::Tensor> own;
  for (const auto& p : parts) own.push_back(positions_of(*model, alone(encoder, p)));
  const at::Tensor expected_isolated = at::cat(own, -1);
  QVERIFY(at::equal(positions_of(*model, packed_batch(encoder, parts, true)), expected_isolated));
  Batch plain = packed_batch(encoder, parts, false);
  const at::Tensor plain_positions = positions_of(*model, plain);
  const bool qwen = encoder.family() == ModelFamily::qwen2_vl || encoder.family() == ModelFamily::qwen2_5_vl;
  if (qwen) {
    // Qwen: the row as one sequence (LLaMA-Factory's collator computes get_rope_index over it).
    Batch whole = plain;
    whole.segment_ids = at::Tensor();
    QVERIFY(at::equal(plain_positions, positions_of(*model, whole)));
    QVERIFY(!at::equal(plain_positions, expected_isolated));
  } else {
    // LLaVA, Idefics3: the position_ids of LLaMA-Factory's packed rows restart in each sample.
    QVERIFY(at::equal(plain_positions, expected_isolated));
  }
}

void TestPacking::imageAcrossSamplesIsRefused() {
  // Segments that cut through an image's tokens are no packing pack_examples makes: Qwen's
  // positions refuse them by name rather than give the image two origins.
  const auto families = vltune::test::fixture_families_of({ModelFamily::qwen2_vl, ModelFamily::qwen2_5_vl});
  if (families.empty()) QSKIP("no Qwen fixture");
  const QString family = QString::fromStdString(families.front());
  auto model = lora_model(family);
  const auto f = vltune::test::parity_fixture(family);
  Batch batch = vltune::test::fixture_batch(model->family(), f);
  const auto config = vltune::io::read_model_config(model_dir(family));
  const int64_t image_token = config.family() == ModelFamily::qwen2_vl ? config.qwen2_vl().image_token_id
                                                                       : config.qwen2_5_vl().image_token_id;
  const at::Tensor ids = batch.input_ids[0];
  int64_t first = -1;
  for (int64_t j = 0; j < ids.size(0) && first < 0; ++j)
    if (ids[j].item<int64_t>() == image_token) first = j;
  QVERIFY2(first >= 0, "the fixture's case has no image");
  batch.segment_ids = at::ones_like(batch.input_ids);
  batch.segment_ids.narrow(1, first + 1, ids.size(0) - first - 1).fill_(2);  // sample 2 starts inside the image
  batch.isolated_segments = true;
  const QString message = QString::fromStdString(vltune::test::error_of([&] { positions_of(*model, batch); }));
  QVERIFY2(message.contains("runs across two packed samples"), qPrintable(message));
  batch.isolated_segments = false;  // one causal row: the segments do not matter to the positions
  QVERIFY(positions_of(*model, batch).defined());
}

void TestPacking::blockCausalMask() {
  const at::Tensor seg = at::tensor({1, 1, 2, 2, 2, 0}, at::kLong).view({1, 6});
  const at::Tensor mask = vltune::models::block_causal_mask(seg, at::kFloat, at::kCPU);  // [1, 1, 6, 6]
  QCOMPARE(mask.sizes(), (at::IntArrayRef{1, 1, 6, 6}));
  const at::Tensor allowed = mask[0][0].eq(0);
  // Expected by the definition: k <= q, same sample, key not padding.
  for (int64_t q = 0; q < 6; ++q)
    for (int64_t k = 0; k < 6; ++k) {
      const int64_t sq = seg[0][q].item<int64_t>(), sk = seg[0][k].item<int64_t>();
      QCOMPARE(allowed[q][k].item<bool>(), k <= q && sq == sk && sk != 0);
    }
  QCOMPARE(mask.min().item<float>(), std::numeric_limits<float>::lowest());
  QVERIFY(at::equal(vltune::models::positions_within_segments(seg), at::tensor({0, 1, 0, 1, 2, 0}, at::kLong).view({1, 6})));
}

void TestPacking::loaderDeliversPackedRows() {
  const auto families = vltune::test::fixture_families_of({ModelFamily::qwen2_vl, ModelFamily::llava, ModelFamily::idefics3});
  if (families.empty()) QSKIP("no chat fixture");
  const SampleEncoder encoder(model_dir(QString::fromStdString(families.front())));
  const auto records = chat_records(7);
  const vltune::data::PackedRowsPlan plan{{{0, 1}, {2}, {3, 4, 5}, {6}}, true};
  auto run = [&](int workers) -> std::vector<Batch> {
    vltune::data::LoaderParams params;
    params.batch_size = 2;
    params.workers = workers;
    params.epochs = 2;
    params.seed = 3;
    vltune::data::BatchLoader loader(encoder, records, plan, params);
    if (loader.batches_per_epoch() != 2) return {};
    std::vector<Batch> out;
    while (auto b = loader.next()) out.push_back(std::move(*b));
    return out;
  };
  const auto one = run(1), three = run(3);
  QCOMPARE(one.size(), size_t{4});
  std::vector<std::vector<int64_t>> epoch_indices(2);
  for (size_t i = 0; i < one.size(); ++i) {
    const Batch& b = one[i];
    QVERIFY(b.isolated_segments && b.segment_ids.defined());
    QVERIFY(at::equal(b.input_ids, three[i].input_ids) && b.indices == three[i].indices);
    // Each row's segments are its records' encodings, in order, then padding.
    size_t at_index = 0;
    for (int64_t row = 0; row < b.input_ids.size(0); ++row) {
      int64_t column = 0, number = 0;
      const auto& pack = *std::find_if(plan.rows.begin(), plan.rows.end(), [&](const auto& r) { return r.front() == b.indices[at_index]; });
      for (int64_t record : pack) {
        QCOMPARE(b.indices[at_index++], record);
        const auto ids = encoder.encode(records[static_cast<size_t>(record)], record).input_ids;
        ++number;
        for (int64_t id : ids) {
          QCOMPARE(b.segment_ids[row][column].item<int64_t>(), number);
          QCOMPARE(b.input_ids[row][column].item<int64_t>(), id);
          ++column;
        }
      }
      for (; column < b.input_ids.size(1); ++column) QCOMPARE(b.segment_ids[row][column].item<int64_t>(), int64_t{0});
    }
    QCOMPARE(at_index, b.indices.size());
    auto& seen = epoch_indices[static_cast<size_t>(b.epoch)];
    seen.insert(seen.end(), b.indices.begin(), b.indices.end());
  }
  // Each epoch has every record once; the rows are shuffled, a row's samples stay together.
  for (auto seen : epoch_indices) {
    std::sort(seen.begin(), seen.end());
    QCOMPARE(seen, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6}));
  }
}

void TestPacking::encodedLengthsAsEncoded() {
  // Measured without processing the images, as long as encode() makes them.
  QFETCH(QString, family);
  const SampleEncoder encoder(model_dir(family));
  auto records = chat_records(9);
  const std::vector<int64_t> samples{8, 0, 3, 5, 1};
  const auto lengths = vltune::data::encoded_lengths(encoder, records, samples, 3);
  QCOMPARE(lengths.size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i)
    QCOMPARE(lengths[i], static_cast<int64_t>(encoder.encode(records[static_cast<size_t>(samples[i])], samples[i]).input_ids.size()));
  // A row that cannot be encoded is named (the earliest such sample of the list).
  if (vltune::vision::image_io_available()) {
    records[4].turns[0].content = "<image>Where?";
    records[4].images = {{"gone.png", "/nonexistent/gone.png", 0, 0}};
    records[6].turns[0].content = "<image>Where?";
    records[6].images = {{"gone.png", "/nonexistent/gone.png", 0, 0}};
    const std::vector<int64_t> bad{1, 6, 2, 4};
    const QString message = QString::fromStdString(vltune::test::error_of([&] { vltune::data::encoded_lengths(encoder, records, bad, 3); }));
    QVERIFY2(message.contains("pack.json row 6"), qPrintable(message));
  }
}

QTEST_GUILESS_MAIN(TestPacking)
#include "test_packing.moc"
