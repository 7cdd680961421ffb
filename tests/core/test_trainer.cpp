// The trainer (core/train) on a toy model, on the CPU:
//  - AdamW against its update written out here in double precision (groups, weight decay, LoRA+
//    learning rates, a parameter without gradient), bit for bit against torch's single-tensor
//    loop when parameters have taken different numbers of steps and however the update is split
//    into passes, and its saved state continuing exactly;
//  - the schedules against transformers' lambdas written out here; warmup steps from a ratio;
//  - gradient accumulation: micro-batches of unequal label counts give the gradient of one batch
//    holding them all (and the per-micro-batch mean does not);
//  - clipping as clip_grad_norm_; the fp16 loss scaler's skip/backoff/growth;
//  - runs: determinism; stop in the middle of a step + resume == straight (parameters bit for bit,
//    logged losses equal), resume from a chosen checkpoint; extending a finished run (continued
//    and re-warmed schedules); save_total_limit; early stopping; the pinned-samples hook; a
//    simulated out-of-memory reported with advice and the trainer usable afterwards; refused
//    parameters and resumes;
//  - the files: trainer_log.jsonl with LLaMA-Factory's fields, trainer_state.json, all_results.json,
//    training_loss.png decoded here (signature, IHDR, every CRC, stored deflate blocks, Adler-32).
// Expected values are computed here from the formulas, never pasted.

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Reduction.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include "core/data/collate.h"
#include "core/data/split.h"
#include "core/error.h"
#include "core/io/json_file.h"
#include "core/io/png_writer.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_writer.h"
#include "core/train/batch_source.h"
#include "core/train/grad_accumulation.h"
#include "core/train/grad_clip.h"
#include "core/train/grad_scaler.h"
#include "core/train/loss_plot.h"
#include "core/train/lr_schedule.h"
#include "core/train/optimizer.h"
#include "core/train/out_of_memory.h"
#include "core/train/param_groups.h"
#include "core/train/train_checkpoint.h"
#include "core/train/trainable.h"
#include "core/train/trainer.h"

#include <QtTest/QtTest>
#include <QRegularExpression>

#include <cmath>
#include <fstream>
#include <functional>
#include <numbers>
#include <random>
#include <stop_token>

#include "tests/test_support.h"

namespace fs = std::filesystem;
using vltune::data::Batch;
using vltune::data::LoaderPosition;
using namespace vltune::train;
using Json = nlohmann::json;

namespace {

constexpr int64_t kIgnore = -100;
constexpr int64_t kVocab = 16, kHidden = 8;

// --- a toy "language model" -----------------------------------------------------------------------

// Embedding [V, H] -> dropout -> linear [V, H] + bias: next-token logits, summed cross-entropy
// over the label tokens (labels[:, 1:] against logits[:, :-1], as causal LMs shift them).
class ToyModel final : public TrainableModel {
 public:
  explicit ToyModel(uint64_t init_seed, double dropout = 0.1) : m_dropout(dropout) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(init_seed);
    emb = (at::randn({kVocab, kHidden}, gen) * 0.5).requires_grad_();
    proj = (at::randn({kVocab, kHidden}, gen) * 0.3).requires_grad_();
    bias = at::zeros({kVocab}).requires_grad_();
  }

  BatchLoss loss(const Batch& b) override {
    ++calls;
    if (on_loss) on_loss(calls);
    if (!m_training && !scripted_eval.empty()) {
      const double value = scripted_eval.at(static_cast<size_t>(eval_index++ % static_cast<int64_t>(scripted_eval.size())));
      return {at::scalar_tensor(value * static_cast<double>(b.label_tokens), at::kFloat), b.label_tokens};
    }
    seen_training.push_back(m_training);
    seen_grad_mode.push_back(at::GradMode::is_enabled());
    const int64_t B = b.input_ids.size(0), T = b.input_ids.size(1);
    at::Tensor x = emb.index_select(0, b.input_ids.reshape({-1})).view({B, T, kHidden});  // [B, T, H]
    if (m_training && m_dropout > 0) x = at::dropout(x, m_dropout, /*train=*/true);
    const at::Tensor logits = at::linear(x, proj, bias);  // [B, T, V]
    const at::Tensor shifted = logits.narrow(1, 0, T - 1).reshape({-1, kVocab});
    const at::Tensor targets = b.labels.narrow(1, 1, T - 1).reshape({-1});
    const at::Tensor sum = at::cross_entropy_loss(shifted, targets, {}, at::Reduction::Sum, kIgnore);
    return {sum, targets.ne(kIgnore).sum().item<int64_t>()};
  }

  std::vector<TrainableParam> trainable_parameters() override {
    return {{"emb.weight", emb, ParamGroup::other},
            {"proj.lora_B.weight", proj, ParamGroup::lora_B},
            {"proj.bias", bias, ParamGroup::other}};
  }
  void set_training(bool on) override { m_training = on; }
  bool training() const { return m_training; }

  void save_trained(const fs::path& dir) const override {
    vltune::io::save_safetensors(dir / "toy.safetensors", {{"emb.weight", emb}, {"proj.lora_B.weight", proj}, {"proj.bias", bias}});
  }
  void load_trained(const fs::path& dir) override {
    const auto f = vltune::io::SafetensorsFile::open(dir / "toy.safetensors");
    at::NoGradGuard no_grad;
    emb.copy_(f.tensor("emb.weight"));
    proj.copy_(f.tensor("proj.lora_B.weight"));
    bias.copy_(f.tensor("proj.bias"));
  }

  std::vector<at::Tensor> snapshot() const { return {emb.detach().clone(), proj.detach().clone(), bias.detach().clone()}; }

  at::Tensor emb, proj, bias;
  int64_t calls = 0;                         // loss() calls
  std::function<void(int64_t call)> on_loss; // called first in every loss()
  std::vector<double> scripted_eval;         // eval mode: these losses per token, in turn
  int64_t eval_index = 0;
  std::vector<bool> seen_training, seen_grad_mode;

 private:
  double m_dropout;
  bool m_training = true;
};

bool same_params(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!at::equal(a[i], b[i])) return false;
  return true;
}

// --- data -------------------------------------------------------------------------------------------

struct Sample {
  std::vector<int64_t> ids, labels;
};

// `n` sequences of 4..11 tokens, the first third of each a prompt (not learned).
std::vector<Sample> make_samples(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Sample> out;
  for (int i = 0; i < n; ++i) {
    Sample s;
    const int len = 4 + static_cast<int>(rng() % 8);
    for (int t = 0; t < len; ++t) {
      const int64_t id = 1 + static_cast<int64_t>(rng() % (kVocab - 1));
      s.ids.push_back(id);
      s.labels.push_back(t < len / 3 ? kIgnore : id);
    }
    out.push_back(std::move(s));
  }
  return out;
}

// Right-padded with id 0, labels ignored on padding.
Batch collate(const std::vector<Sample>& samples, const std::vector<int64_t>& rows) {
  int64_t T = 0;
  for (auto r : rows) T = std::max<int64_t>(T, static_cast<int64_t>(samples[static_cast<size_t>(r)].ids.size()));
  const auto B = static_cast<int64_t>(rows.size());
  Batch b;
  b.indices = rows;
  b.input_ids = at::zeros({B, T}, at::kLong);
  b.attention_mask = at::zeros({B, T}, at::kLong);
  b.labels = at::full({B, T}, kIgnore, at::kLong);
  for (int64_t i = 0; i < B; ++i) {
    const auto& s = samples[static_cast<size_t>(rows[static_cast<size_t>(i)])];
    for (size_t t = 0; t < s.ids.size(); ++t) {
      b.input_ids[i][static_cast<int64_t>(t)] = s.ids[t];
      b.attention_mask[i][static_cast<int64_t>(t)] = 1;
      b.labels[i][static_cast<int64_t>(t)] = s.labels[t];
    }
  }
  b.label_tokens = vltune::data::count_label_tokens(b.labels);
  return b;
}

// Batches of `batch_size` samples in each epoch's seeded order, as data::BatchLoader orders them.
class ListSource final : public BatchSource {
 public:
  ListSource(std::vector<Sample> samples, int64_t batch_size, uint64_t seed, bool shuffle = true)
      : m_samples(std::move(samples)), m_bs(batch_size), m_seed(seed), m_shuffle(shuffle) {}

  int64_t batches_per_epoch() const override { return (static_cast<int64_t>(m_samples.size()) + m_bs - 1) / m_bs; }
  uint64_t seed() const override { return m_seed; }
  void restart(LoaderPosition from, int64_t epochs) override {
    m_next = from.epoch * batches_per_epoch() + from.batch;
    m_end = epochs * batches_per_epoch();
  }
  std::optional<Batch> next() override {
    if (m_next >= m_end) return std::nullopt;
    const int64_t epoch = m_next / batches_per_epoch(), step = m_next % batches_per_epoch();
    std::vector<int64_t> all(m_samples.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
    const auto order = vltune::data::epoch_order(all, m_seed, epoch, m_shuffle);
    std::vector<int64_t> rows;
    for (int64_t i = step * m_bs; i < std::min<int64_t>((step + 1) * m_bs, static_cast<int64_t>(order.size())); ++i)
      rows.push_back(order[static_cast<size_t>(i)]);
    Batch b = collate(m_samples, rows);
    b.epoch = epoch;
    b.step = step;
    ++m_next;
    return b;
  }
  LoaderPosition position() const override { return {m_next / batches_per_epoch(), m_next % batches_per_epoch()}; }

 private:
  std::vector<Sample> m_samples;
  int64_t m_bs;
  uint64_t m_seed;
  bool m_shuffle;
  int64_t m_next = 0, m_end = 0;
};

// 14 samples in batches of 3: 5 batches per epoch; with accumulation 2, windows of 2, 2, 1 batches
// (3 steps per epoch); 3 epochs = 9 steps.
ListSource train_source() { return ListSource(make_samples(14, 1), 3, 11); }
ListSource eval_source() { return ListSource(make_samples(4, 2), 2, 0, /*shuffle=*/false); }

TrainerParams run_params(const fs::path& out) {
  TrainerParams p;
  p.learning_rate = 0.05;
  p.num_train_epochs = 3;
  p.per_device_train_batch_size = 3;
  p.gradient_accumulation_steps = 2;
  p.lr_scheduler_type = "cosine";
  p.warmup_ratio = 0.2;
  p.weight_decay = 0.01;
  p.max_grad_norm = 0.5;
  p.loraplus_lr_ratio = 4;
  p.seed = 7;
  p.logging_steps = 1;
  p.eval_steps = 3;
  p.save_steps = 4;
  p.output_dir = out;
  return p;
}

std::vector<Json> read_lines(const fs::path& file) {
  std::vector<Json> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(Json::parse(line));
  return out;
}

// The lines of a training or evaluation step, without the fields that measure time.
std::vector<Json> step_lines(const fs::path& file) {
  std::vector<Json> out;
  for (auto j : read_lines(file)) {
    if (!j.contains("loss") && !j.contains("eval_loss")) continue;
    for (const char* key : {"elapsed_time", "remaining_time", "throughput"}) j.erase(key);
    out.push_back(j);
  }
  return out;
}

// --- PNG decoding, written here independently of the writer ----------------------------------------

uint32_t reference_crc(const std::string& bytes) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

uint32_t be32(const std::string& s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) | (uint32_t(uint8_t(s[at + 2])) << 8) |
         uint32_t(uint8_t(s[at + 3]));
}

struct DecodedPng {
  bool ok = false;
  std::string error;
  uint32_t width = 0, height = 0;
  std::string pixels;  // rows of width * 3 bytes, filter bytes removed
};

// Signature, chunks with their CRCs, IHDR, IDAT as zlib of stored blocks, Adler-32, IEND.
DecodedPng decode_png(const std::string& file) {
  DecodedPng d;
  if (file.substr(0, 8) != std::string("\x89PNG\r\n\x1a\n", 8)) return d.error = "signature", d;
  size_t pos = 8;
  std::string idat;
  bool ended = false;
  while (pos + 12 <= file.size()) {
    const uint32_t len = be32(file, pos);
    const std::string type = file.substr(pos + 4, 4);
    const std::string data = file.substr(pos + 8, len);
    if (reference_crc(type + data) != be32(file, pos + 8 + len)) return d.error = "CRC of " + type, d;
    if (type == "IHDR") {
      d.width = be32(data, 0);
      d.height = be32(data, 4);
      if (data.substr(8) != std::string("\x08\x02\x00\x00\x00", 5)) return d.error = "IHDR fields", d;
    } else if (type == "IDAT") {
      idat += data;
    } else if (type == "IEND") {
      ended = true;
    }
    pos += 12 + len;
  }
  if (!ended || pos != file.size()) return d.error = "IEND", d;
  if (idat.size() < 6 || ((uint8_t(idat[0]) << 8) | uint8_t(idat[1])) % 31 != 0) return d.error = "zlib header", d;
  std::string raw;
  size_t p = 2;
  for (bool last = false; !last;) {
    last = idat[p] & 1;
    if ((idat[p] >> 1) & 3) return d.error = "not a stored block", d;
    const uint16_t len = uint8_t(idat[p + 1]) | (uint8_t(idat[p + 2]) << 8);
    const uint16_t nlen = uint8_t(idat[p + 3]) | (uint8_t(idat[p + 4]) << 8);
    if (uint16_t(~len) != nlen) return d.error = "NLEN", d;
    raw += idat.substr(p + 5, len);
    p += 5 + len;
  }
  uint32_t a = 1, b = 0;
  for (unsigned char c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  if (((b << 16) | a) != be32(idat, p) || p + 4 != idat.size()) return d.error = "Adler-32", d;
  const size_t row = size_t(d.width) * 3;
  if (raw.size() != (row + 1) * d.height) return d.error = "data size", d;
  for (uint32_t y = 0; y < d.height; ++y) {
    if (raw[y * (row + 1)] != 0) return d.error = "filter byte", d;
    d.pixels += raw.substr(y * (row + 1) + 1, row);
  }
  d.ok = true;
  return d;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// transformers' lambdas (optimization.py), written out.
double hf_lambda(const std::string& type, int64_t step, int64_t warmup, int64_t total) {
  const double s = static_cast<double>(step), w = static_cast<double>(warmup), t = static_cast<double>(total);
  if (type == "constant") return 1.0;
  if (type == "constant_with_warmup") return step < warmup ? s / std::max(1.0, w) : 1.0;
  if (step < warmup) return s / std::max(1.0, w);
  if (type == "linear") return std::max(0.0, (t - s) / std::max(1.0, t - w));
  const double progress = (s - w) / std::max(1.0, t - w);
  return std::max(0.0, 0.5 * (1.0 + std::cos(std::numbers::pi * 0.5 * 2.0 * progress)));
}

}  // namespace

class TestTrainer : public QObject {
  Q_OBJECT

 private slots:
  void adamwMatchesFormula();
  void adamwMatchesSingleTensorLoop_data();
  void adamwMatchesSingleTensorLoop();
  void adamwStateRoundTrip();
  void paramGroups();
  void schedules_data();
  void schedules();
  void warmupSteps();
  void accumulationEqualsBigBatch();
  void clipping();
  void gradScaler();
  void determinism();
  void resumeBitForBit();
  void extendFinishedRun();
  void rewarmedExtension();
  void saveTotalLimit();
  void outputFiles();
  void pngWriter();
  void smoothing();
  void plotOfOneStep();
  void earlyStopping();
  void pinnedSamplesHook();
  void outOfMemory();
  void refusedRunsAndResumes();
};

// --- optimizer ------------------------------------------------------------------------------------

void TestTrainer::adamwMatchesFormula() {
  const double lr = 0.01, wd = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  at::Tensor w = at::randn({3, 4}).requires_grad_();
  at::Tensor bvec = at::randn({4}).requires_grad_();
  at::Tensor unused = at::randn({2}).requires_grad_();
  OptimizerGroup decay{"decay", {"w"}, {w}, lr, wd};
  OptimizerGroup no_decay{"no_decay", {"b", "unused"}, {bvec, unused}, lr * 2, 0.0};
  AdamW opt({decay, no_decay}, {b1, b2, eps});

  // Reference in double, per element.
  auto ref_w = w.detach().to(at::kDouble), ref_b = bvec.detach().to(at::kDouble);
  auto m_w = at::zeros_like(ref_w), v_w = at::zeros_like(ref_w), m_b = at::zeros_like(ref_b), v_b = at::zeros_like(ref_b);
  const at::Tensor unused_before = unused.detach().clone();
  const std::vector<double> factors = {1.0, 0.5, 0.25};
  for (int t = 1; t <= 3; ++t) {
    const at::Tensor gw = at::randn({3, 4}), gb = at::randn({4});
    w.mutable_grad() = gw.clone();
    bvec.mutable_grad() = gb.clone();
    opt.step(factors[static_cast<size_t>(t - 1)]);
    auto update = [&](at::Tensor& p, at::Tensor& m, at::Tensor& v, const at::Tensor& g, double group_lr, double group_wd) {
      const double step_lr = group_lr * factors[static_cast<size_t>(t - 1)];
      const at::Tensor gd = g.to(at::kDouble);
      p = p * (1 - step_lr * group_wd);
      m = b1 * m + (1 - b1) * gd;
      v = b2 * v + (1 - b2) * gd * gd;
      const double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
      p = p - (step_lr / bc1) * m / (v.sqrt() / std::sqrt(bc2) + eps);
    };
    update(ref_w, m_w, v_w, gw, lr, wd);
    update(ref_b, m_b, v_b, gb, lr * 2, 0.0);
    QVERIFY2(at::allclose(w.detach().to(at::kDouble), ref_w, 1e-5, 1e-7), qPrintable(QString("w at step %1").arg(t)));
    QVERIFY2(at::allclose(bvec.detach().to(at::kDouble), ref_b, 1e-5, 1e-7), qPrintable(QString("b at step %1").arg(t)));
  }
  QVERIFY2(at::equal(unused.detach(), unused_before), "a parameter without gradient is left alone");
  QCOMPARE(opt.step_count(), int64_t{3});
  opt.zero_grad();
  QVERIFY(!w.grad().defined());
}

void TestTrainer::adamwMatchesSingleTensorLoop_data() {
  QTest::addColumn<qint64>("passElements");
  QTest::newRow("one pass") << (qint64{16} << 20);
  QTest::newRow("a pass per parameter") << qint64{1};
  QTest::newRow("p alone, then q and r") << qint64{35};
  QTest::newRow("p and q, then r") << qint64{38};
}

void TestTrainer::adamwMatchesSingleTensorLoop() {
  // The multi-tensor update, element by element, is torch.optim.AdamW's single-tensor loop (the
  // loop written out here with the same float32 operations): also when the parameters have taken
  // different numbers of steps, so each needs its own bias correction in the lists, and whichever
  // way the parameters are split into passes (r, the third parameter, only moves by weight decay
  // and its moments' gradient, as q does).
  QFETCH(qint64, passElements);
  const double lr = 3e-3, wd = 0.05, b1 = 0.8, b2 = 0.99, eps = 1e-6;
  at::Tensor p = at::randn({5, 7}).requires_grad_(), q = at::randn({3}).requires_grad_(), r = at::randn({2, 5}).requires_grad_();
  AdamW opt({OptimizerGroup{"all", {"p", "q", "r"}, {p, q, r}, lr, wd}}, {b1, b2, eps, passElements});
  at::Tensor rr = r.detach().clone(), mr = at::zeros_like(rr), vr = at::zeros_like(rr);
  int64_t tr = 0;
  at::Tensor rp = p.detach().clone(), rq = q.detach().clone();
  at::Tensor mp = at::zeros_like(rp), vp = at::zeros_like(rp), mq = at::zeros_like(rq), vq = at::zeros_like(rq);
  int64_t tp = 0, tq = 0;
  auto single = [&](at::Tensor& param, at::Tensor& m, at::Tensor& v, int64_t& t, const at::Tensor& g, double step_lr) {
    t += 1;
    param.mul_(1.0 - step_lr * wd);
    m.lerp_(g, 1.0 - b1);
    v.mul_(b2).addcmul_(g, g, 1.0 - b2);
    const double bc1 = 1.0 - std::pow(b1, static_cast<double>(t)), bc2 = 1.0 - std::pow(b2, static_cast<double>(t));
    param.addcdiv_(m, (v.sqrt() / std::sqrt(bc2)).add_(eps), -(step_lr / bc1));
  };
  for (int step = 0; step < 4; ++step) {
    const double factor = 1.0 / (step + 1);
    const at::Tensor gp = at::randn({5, 7}), gq = at::randn({3});
    p.mutable_grad() = gp.clone();
    single(rp, mp, vp, tp, gp, lr * factor);
    if (step != 1) {  // q has no gradient at step 2: one step behind p from then on
      q.mutable_grad() = gq.clone();
      single(rq, mq, vq, tq, gq, lr * factor);
    }
    const at::Tensor gr = at::randn({2, 5});
    r.mutable_grad() = gr.clone();
    single(rr, mr, vr, tr, gr, lr * factor);
    opt.step(factor);
    opt.zero_grad();
    QVERIFY2(at::equal(p.detach(), rp), qPrintable(QString("p at step %1").arg(step + 1)));
    QVERIFY2(at::equal(q.detach(), rq), qPrintable(QString("q at step %1").arg(step + 1)));
    QVERIFY2(at::equal(r.detach(), rr), qPrintable(QString("r at step %1").arg(step + 1)));
  }
  QCOMPARE(tq, tp - 1);
  QCOMPARE(tr, tp);
}

void TestTrainer::adamwStateRoundTrip() {
  vltune::test::TempDir dir;
  auto make = [](at::Tensor& p) {
    p = at::arange(12, at::kFloat).view({3, 4}).div(7).requires_grad_();
    return AdamW({OptimizerGroup{"decay", {"p"}, {p}, 0.1, 0.01}});
  };
  at::Tensor p1, p2;
  AdamW a = make(p1);
  for (int i = 0; i < 2; ++i) {
    p1.mutable_grad() = at::sin(p1.detach() * (i + 1));
    a.step();
  }
  a.save(dir.path() / "optimizer.safetensors");
  AdamW b = make(p2);
  {
    at::NoGradGuard no_grad;
    p2.copy_(p1);
  }
  b.load(dir.path() / "optimizer.safetensors");
  QCOMPARE(b.step_count(), int64_t{2});
  p1.mutable_grad() = at::cos(p1.detach());
  p2.mutable_grad() = at::cos(p2.detach());
  a.step(0.5);
  b.step(0.5);
  QVERIFY2(at::equal(p1, p2), "a loaded state continues exactly");
  // A state for a parameter that is not there is refused, naming it.
  at::Tensor q = at::zeros({3, 4}).requires_grad_();
  AdamW c({OptimizerGroup{"decay", {"q"}, {q}, 0.1, 0.0}});
  try {
    c.load(dir.path() / "optimizer.safetensors");
    QFAIL("loading another parameter's state should throw");
  } catch (const vltune::FormatError& e) {
    QVERIFY2(QString(e.what()).contains("p"), e.what());
  }
}

void TestTrainer::paramGroups() {
  const at::Tensor a = at::zeros({4, 2}), b = at::zeros({2, 4}), bias = at::zeros({4}), emb = at::zeros({3, 2});
  const std::vector<TrainableParam> params = {{"x.lora_A.weight", a, ParamGroup::lora_A},
                                              {"x.lora_B.weight", b, ParamGroup::lora_B},
                                              {"x.bias", bias, ParamGroup::other},
                                              {"e.lora_embedding_B", emb, ParamGroup::embedding}};
  auto find = [](const std::vector<OptimizerGroup>& groups, const std::string& name) -> const OptimizerGroup* {
    for (const auto& g : groups)
      if (g.name == name) return &g;
    return nullptr;
  };
  // Plain: decay for 2-D, none for 1-D.
  auto plain = make_param_groups(params, {1e-3, 0.1, 0.0, 1e-6});
  QCOMPARE(plain.size(), size_t{2});
  QCOMPARE(find(plain, "decay")->names, (std::vector<std::string>{"x.lora_A.weight", "x.lora_B.weight", "e.lora_embedding_B"}));
  QCOMPARE(find(plain, "decay")->weight_decay, 0.1);
  QCOMPARE(find(plain, "no_decay")->names, (std::vector<std::string>{"x.bias"}));
  QCOMPARE(find(plain, "no_decay")->weight_decay, 0.0);
  // LoRA+ (LLaMA-Factory): B and 1-D parameters at lr * ratio, embeddings at their own lr.
  auto plus = make_param_groups(params, {1e-3, 0.1, 16.0, 1e-6});
  QCOMPARE(plus.size(), size_t{4});
  QCOMPARE(find(plus, "lora_a")->names, (std::vector<std::string>{"x.lora_A.weight"}));
  QCOMPARE(find(plus, "lora_a")->lr, 1e-3);
  QCOMPARE(find(plus, "lora_b")->names, (std::vector<std::string>{"x.lora_B.weight"}));
  QCOMPARE(find(plus, "lora_b")->lr, 1e-3 * 16.0);
  QCOMPARE(find(plus, "lora_b")->weight_decay, 0.1);
  QCOMPARE(find(plus, "lora_b_nodecay")->names, (std::vector<std::string>{"x.bias"}));
  QCOMPARE(find(plus, "lora_b_nodecay")->lr, 1e-3 * 16.0);
  QCOMPARE(find(plus, "lora_b_nodecay")->weight_decay, 0.0);
  QCOMPARE(find(plus, "embedding")->lr, 1e-6);
}

// --- schedules ------------------------------------------------------------------------------------

void TestTrainer::schedules_data() {
  QTest::addColumn<QString>("type");
  QTest::addColumn<int>("warmup");
  QTest::addColumn<int>("total");
  for (const char* type : {"linear", "cosine", "constant", "constant_with_warmup"}) {
    QTest::newRow((std::string(type) + " warmup 3 of 10").c_str()) << QString(type) << 3 << 10;
    QTest::newRow((std::string(type) + " no warmup, 7").c_str()) << QString(type) << 0 << 7;
  }
}

void TestTrainer::schedules() {
  QFETCH(QString, type);
  QFETCH(int, warmup);
  QFETCH(int, total);
  const auto parsed = scheduler_type_from_name(type.toStdString());
  QVERIFY(parsed);
  QCOMPARE(QString(scheduler_type_name(*parsed)), type);
  const Schedule s{*parsed, warmup, total};
  for (int64_t step = 0; step <= total + 2; ++step) {
    const double expected = hf_lambda(type.toStdString(), step, warmup, total);
    QVERIFY2(std::abs(lr_factor(s, step) - expected) <= 1e-15,
             qPrintable(QString("step %1: %2 vs %3").arg(step).arg(lr_factor(s, step)).arg(expected)));
  }
  // The first optimizer step of a warmup runs at 0, as LambdaLR gives lambda(0) before any scheduler.step().
  if (warmup > 0 && type != "constant") QCOMPARE(lr_factor(s, 0), 0.0);
  QVERIFY(!scheduler_type_from_name("polynomial"));
}

void TestTrainer::warmupSteps() {
  QCOMPARE(warmup_steps_for(10, 0, 0.15), int64_t{2});   // ceil(1.5)
  QCOMPARE(warmup_steps_for(10, 0, 0.1), int64_t{1});
  QCOMPARE(warmup_steps_for(10, 4, 0.5), int64_t{4});    // warmup_steps wins
  QCOMPARE(warmup_steps_for(10, 0, 0.0), int64_t{0});
}

// --- gradients ------------------------------------------------------------------------------------

void TestTrainer::accumulationEqualsBigBatch() {
  const auto samples = make_samples(5, 3);
  const Batch small = collate(samples, {0, 1});
  const Batch large = collate(samples, {2, 3, 4});
  const Batch all = collate(samples, {0, 1, 2, 3, 4});
  QVERIFY2(small.label_tokens != large.label_tokens, "the micro-batches should carry different token counts");
  QCOMPARE(small.label_tokens + large.label_tokens, all.label_tokens);

  ToyModel model(5, /*dropout=*/0.0);
  auto grads = [&](const std::vector<Batch>& window) {
    for (auto& p : model.trainable_parameters()) p.tensor.mutable_grad().reset();
    const auto r = accumulate_window(model, window);
    std::vector<at::Tensor> g;
    for (auto& p : model.trainable_parameters()) g.push_back(p.tensor.grad().clone());
    return std::make_pair(*r, g);
  };
  const auto [acc, acc_grads] = grads({small, large});
  const auto [big, big_grads] = grads({all});
  QCOMPARE(acc.loss_tokens, all.label_tokens);
  QVERIFY(std::abs(acc.loss() - big.loss()) < 1e-6);
  for (size_t i = 0; i < acc_grads.size(); ++i)
    QVERIFY2(at::allclose(acc_grads[i], big_grads[i], 1e-5, 1e-7), qPrintable(QString("gradient %1").arg(i)));

  // The pre-2024 way, the mean of per-micro-batch means, gives another gradient.
  for (auto& p : model.trainable_parameters()) p.tensor.mutable_grad().reset();
  for (const Batch* b : {&small, &large}) {
    const auto l = model.loss(*b);
    (l.loss_sum / static_cast<double>(l.tokens) / 2.0).backward();
  }
  QVERIFY(!at::allclose(model.proj.grad(), big_grads[1], 1e-3, 1e-6));
  // Samples and input tokens are counted for the log.
  QCOMPARE(acc.samples, int64_t{5});
  QCOMPARE(acc.input_tokens, all.attention_mask.sum().item<int64_t>());
}

void TestTrainer::clipping() {
  at::Tensor a = at::zeros({2, 2}).requires_grad_(), b = at::zeros({3}).requires_grad_(), c = at::zeros({1}).requires_grad_();
  a.mutable_grad() = at::tensor({3.0f, 0.0f, 0.0f, 4.0f}).view({2, 2});
  b.mutable_grad() = at::tensor({0.0f, 12.0f, 0.0f});
  // c has no gradient: left out of the norm.
  const std::vector<at::Tensor> params = {a, b, c};
  const double norm = norm_value(clip_grad_norm_tensor(params, 1.0));
  QVERIFY(std::abs(norm - 13.0) < 1e-5);  // sqrt(9 + 16 + 144)
  const float coef = 1.0f / (13.0f + 1e-6f);
  QVERIFY(at::allclose(a.grad(), at::tensor({3.0f, 0.0f, 0.0f, 4.0f}).view({2, 2}) * coef));
  QVERIFY(std::abs(norm_value(total_grad_norm_tensor(params)) - 1.0) < 1e-5);
  // Under the limit: unchanged.
  const at::Tensor before = b.grad().clone();
  QVERIFY(norm_value(clip_grad_norm_tensor(params, 5.0)) < 5.0);
  QVERIFY(at::equal(b.grad(), before));
  QVERIFY(!total_grad_norm_tensor({c}).defined());  // no gradient: no norm
  QCOMPARE(norm_value(total_grad_norm_tensor({c})), 0.0);
}

void TestTrainer::gradScaler() {
  GradScaler scaler({65536.0, 2.0, 0.5, 3});
  QCOMPARE(scaler.scale(), 65536.0);
  at::Tensor p = at::zeros({2}).requires_grad_();
  p.mutable_grad() = at::tensor({65536.0f, -131072.0f});
  QVERIFY(!scaler.unscale({p}));
  QVERIFY(at::equal(p.grad(), at::tensor({1.0f, -2.0f})));
  p.mutable_grad() = at::tensor({std::numeric_limits<float>::infinity(), 1.0f});
  QVERIFY(scaler.unscale({p}));
  // Among several gradients (one absent): a NaN in the last is found, and every one is unscaled.
  at::Tensor q = at::zeros({3}).requires_grad_(), r = at::zeros({1}).requires_grad_(), none = at::zeros({1}).requires_grad_();
  p.mutable_grad() = at::tensor({65536.0f, 0.0f});
  q.mutable_grad() = at::tensor({0.0f, 32768.0f, 0.0f});
  r.mutable_grad() = at::tensor({std::numeric_limits<float>::quiet_NaN()});
  QVERIFY(scaler.unscale({p, none, q, r}));
  QVERIFY(at::equal(q.grad(), at::tensor({0.0f, 0.5f, 0.0f})));
  q.mutable_grad() = at::tensor({1.0f, 2.0f, 3.0f});
  r.mutable_grad() = at::tensor({4.0f});
  QVERIFY(!scaler.unscale({p, none, q, r}));
  scaler.update(true);
  QCOMPARE(scaler.scale(), 32768.0);
  for (int i = 0; i < 2; ++i) scaler.update(false);
  QCOMPARE(scaler.scale(), 32768.0);
  scaler.update(false);  // the third good step in a row
  QCOMPARE(scaler.scale(), 65536.0);
  QCOMPARE(scaler.growth_tracker(), int64_t{0});
}

// --- runs -------------------------------------------------------------------------------------------

void TestTrainer::determinism() {
  vltune::test::TempDir d1, d2;
  std::vector<std::vector<at::Tensor>> finals;
  for (const auto* dir : {&d1, &d2}) {
    ToyModel model(1);
    auto train = train_source();
    auto params = run_params(dir->path());
    params.num_train_epochs = 1;
    Trainer trainer(model, train, nullptr, params);
    const auto r = trainer.train();
    QCOMPARE(r.outcome, TrainOutcome::finished);
    QCOMPARE(r.global_step, int64_t{3});
    finals.push_back(model.snapshot());
  }
  QVERIFY(same_params(finals[0], finals[1]));
  QCOMPARE(step_lines(d1.path() / "trainer_log.jsonl"), step_lines(d2.path() / "trainer_log.jsonl"));
  QVERIFY(!same_params(finals[0], ToyModel(1).snapshot()));
}

void TestTrainer::resumeBitForBit() {
  vltune::test::TempDir straight_dir, stopped_dir, chosen_dir;
  // Straight: 9 steps.
  ToyModel straight(1);
  {
    auto train = train_source();
    auto eval = eval_source();
    Trainer trainer(straight, train, &eval, run_params(straight_dir.path()));
    const auto r = trainer.train();
    QCOMPARE(r.outcome, TrainOutcome::finished);
    QCOMPARE(r.global_step, int64_t{9});
  }
  QVERIFY(fs::is_directory(checkpoint_dir(straight_dir.path(), 4)));
  QVERIFY(fs::is_directory(checkpoint_dir(straight_dir.path(), 9)));

  // Stopped inside step 7 (after its first micro-batch: loss() call 11), then resumed from the latest.
  ToyModel resumed(1);
  {
    auto train = train_source();
    auto eval = eval_source();
    std::stop_source stop;
    int64_t training_calls = 0;
    resumed.on_loss = [&](int64_t) {
      if (resumed.training() && ++training_calls == 11) stop.request_stop();
    };
    Trainer trainer(resumed, train, &eval, run_params(stopped_dir.path()));
    const auto r = trainer.train(stop.get_token());
    QCOMPARE(r.outcome, TrainOutcome::stopped);
    QCOMPARE(r.global_step, int64_t{6});
    QCOMPARE(r.last_checkpoint, checkpoint_dir(stopped_dir.path(), 6));
    for (auto& p : resumed.trainable_parameters()) QVERIFY2(!p.tensor.grad().defined(), "the unfinished step's gradients are dropped");
    // The checkpoint loads: the weights of step 6 and their optimizer state.
    ToyModel loaded(99);
    loaded.load_trained(r.last_checkpoint);
    QVERIFY(same_params(loaded.snapshot(), resumed.snapshot()));
    AdamW opt(make_param_groups(loaded.trainable_parameters(), {0.05, 0.01, 4.0, 1e-6}));
    opt.load(r.last_checkpoint / kOptimizerFile);
    QCOMPARE(opt.step_count(), int64_t{6});
    QCOMPARE(read_run_state(r.last_checkpoint).position, (LoaderPosition{2, 0}));
  }
  {
    resumed.on_loss = nullptr;
    auto train = train_source();
    auto eval = eval_source();
    auto params = run_params(stopped_dir.path());
    params.resume_from_checkpoint = "latest";
    Trainer trainer(resumed, train, &eval, params);
    const auto r = trainer.train();
    QCOMPARE(r.outcome, TrainOutcome::finished);
    QCOMPARE(r.global_step, int64_t{9});
  }
  QVERIFY2(same_params(straight.snapshot(), resumed.snapshot()), "stop + resume should equal the straight run bit for bit");
  const auto straight_lines = step_lines(straight_dir.path() / "trainer_log.jsonl");
  QCOMPARE(step_lines(stopped_dir.path() / "trainer_log.jsonl"), straight_lines);

  // From a chosen checkpoint of the straight run, into another folder.
  ToyModel chosen(42);  // other initial weights: the checkpoint replaces them
  {
    auto train = train_source();
    auto eval = eval_source();
    auto params = run_params(chosen_dir.path());
    params.resume_from_checkpoint = checkpoint_dir(straight_dir.path(), 4).string();
    Trainer trainer(chosen, train, &eval, params);
    QCOMPARE(trainer.train().global_step, int64_t{9});
  }
  QVERIFY2(same_params(straight.snapshot(), chosen.snapshot()), "resume from checkpoint-4 should equal the straight run");
  std::vector<Json> after4;
  for (const auto& j : straight_lines)
    if (j["current_steps"].get<int64_t>() > 4) after4.push_back(j);
  QCOMPARE(step_lines(chosen_dir.path() / "trainer_log.jsonl"), after4);
  // The resumed run's trainer_state.json holds the whole history.
  const auto state = vltune::io::read_json_file(chosen_dir.path() / "trainer_state.json");
  QCOMPARE(state["log_history"][0]["step"].get<int64_t>(), int64_t{1});
}

void TestTrainer::extendFinishedRun() {
  vltune::test::TempDir straight_dir, extended_dir;
  auto params_for = [](const fs::path& out, double epochs) {
    auto p = run_params(out);
    p.lr_scheduler_type = "constant";
    p.num_train_epochs = epochs;
    p.save_steps = 0;  // only the final checkpoint
    return p;
  };
  ToyModel straight(1), extended(1);
  {
    auto train = train_source();
    Trainer trainer(straight, train, nullptr, params_for(straight_dir.path(), 2));
    QCOMPARE(trainer.train().global_step, int64_t{6});
  }
  {
    auto train = train_source();
    Trainer trainer(extended, train, nullptr, params_for(extended_dir.path(), 1));
    const auto r = trainer.train();
    QCOMPARE(r.global_step, int64_t{3});
    QCOMPARE(r.last_checkpoint, checkpoint_dir(extended_dir.path(), 3));
  }
  {
    auto train = train_source();
    auto p = params_for(extended_dir.path(), 2);
    p.resume_from_checkpoint = "latest";
    Trainer trainer(extended, train, nullptr, p);
    const auto r = trainer.train();
    QCOMPARE(r.outcome, TrainOutcome::finished);
    QCOMPARE(r.global_step, int64_t{6});
  }
  QVERIFY2(same_params(straight.snapshot(), extended.snapshot()), "1 epoch + 1 more (constant lr) should equal 2 epochs");
  // The same steps logged (total_steps and percentage differ: the first part planned 3 steps).
  auto essentials = [](std::vector<Json> lines) {
    for (auto& j : lines) j = Json{{"step", j["current_steps"]}, {"loss", j["loss"]}, {"lr", j["lr"]}, {"epoch", j["epoch"]}};
    return lines;
  };
  QCOMPARE(essentials(step_lines(extended_dir.path() / "trainer_log.jsonl")),
           essentials(step_lines(straight_dir.path() / "trainer_log.jsonl")));
}

void TestTrainer::rewarmedExtension() {
  vltune::test::TempDir dir;
  ToyModel model(1);
  auto p = run_params(dir.path());
  p.lr_scheduler_type = "linear";
  p.warmup_ratio = 0;
  p.warmup_steps = 2;
  p.loraplus_lr_ratio = 0;
  p.num_train_epochs = 1;
  {
    auto train = train_source();
    Trainer trainer(model, train, nullptr, p);
    QCOMPARE(trainer.train().global_step, int64_t{3});
  }
  p.num_train_epochs = 3;  // 6 more steps
  p.resume_from_checkpoint = "latest";
  p.rewarm_scheduler = true;
  {
    auto train = train_source();
    Trainer trainer(model, train, nullptr, p);
    QCOMPARE(trainer.train().global_step, int64_t{9});
  }
  std::vector<double> lrs;
  for (const auto& j : step_lines(dir.path() / "trainer_log.jsonl"))
    if (j.contains("lr")) lrs.push_back(j["lr"].get<double>());
  QCOMPARE(lrs.size(), size_t{9});
  for (int64_t s = 0; s < 3; ++s) QCOMPARE(lrs[static_cast<size_t>(s)], 0.05 * hf_lambda("linear", s, 2, 3));
  for (int64_t s = 0; s < 6; ++s)  // the schedule again, over the 6 added steps
    QCOMPARE(lrs[static_cast<size_t>(3 + s)], 0.05 * hf_lambda("linear", s, 2, 6));
  QCOMPARE(lrs[3], 0.0);
}

void TestTrainer::saveTotalLimit() {
  vltune::test::TempDir dir;
  ToyModel model(1);
  auto train = train_source();
  auto p = run_params(dir.path());
  p.num_train_epochs = 2;
  p.save_steps = 1;
  p.save_total_limit = 2;
  std::vector<fs::path> written;
  TrainerCallbacks cb;
  cb.on_checkpoint = [&](const fs::path& c) { written.push_back(c); };
  Trainer trainer(model, train, nullptr, p, cb);
  trainer.train();
  QCOMPARE(written.size(), size_t{6});
  const auto left = list_checkpoints(dir.path());
  QCOMPARE(left.size(), size_t{2});
  QCOMPARE(left[0].first, int64_t{5});
  QCOMPARE(left[1].first, int64_t{6});
  for (const auto& e : fs::directory_iterator(dir.path()))
    QVERIFY2(!e.path().filename().string().starts_with("tmp-"), qPrintable(QString::fromStdString(e.path().string())));
  for (const char* f : {kOptimizerFile, kRngStateFile, kRunStateFile, kTrainerStateFile, "toy.safetensors"})
    QVERIFY2(fs::exists(left[1].second / f), f);
}

void TestTrainer::outputFiles() {
  vltune::test::TempDir dir;
  ToyModel model(1);
  auto train = train_source();
  auto eval = eval_source();
  auto p = run_params(dir.path());
  p.logging_steps = 2;
  std::vector<TrainProgress> progress;
  std::vector<LogRecord> records;
  TrainerCallbacks cb;
  cb.on_progress = [&](const TrainProgress& pr) { progress.push_back(pr); };
  cb.on_log = [&](const LogRecord& r) { records.push_back(r); };
  Trainer trainer(model, train, &eval, p, cb);
  const auto result = trainer.train();
  QCOMPARE(result.total_steps, int64_t{9});

  // Progress after every step.
  QCOMPARE(progress.size(), size_t{9});
  for (size_t i = 0; i < progress.size(); ++i) {
    QCOMPARE(progress[i].step, static_cast<int64_t>(i + 1));
    QCOMPARE(progress[i].total_steps, int64_t{9});
    QVERIFY(progress[i].grad_norm > 0 && progress[i].tokens_per_second > 0 && progress[i].samples_per_second > 0);
    QVERIFY(progress[i].memory_bytes > 0);
  }
  QCOMPARE(progress[0].learning_rate, 0.0);  // warmup starts at 0
  QCOMPARE(progress[2].epoch, 1.0);

  // trainer_log.jsonl: LLaMA-Factory's fields.
  const auto lines = read_lines(dir.path() / "trainer_log.jsonl");
  QCOMPARE(lines.size(), records.size());
  int64_t train_lines = 0, eval_lines = 0;
  int64_t tokens = 0;
  for (const auto& j : lines) {
    for (const char* key : {"current_steps", "total_steps", "epoch", "percentage", "elapsed_time", "remaining_time", "throughput", "total_tokens"})
      QVERIFY2(j.contains(key), qPrintable(QString("%1 in %2").arg(key, QString::fromStdString(j.dump()))));
    QCOMPARE(j["total_steps"].get<int64_t>(), int64_t{9});
    QVERIFY(QRegularExpression("^\\d+:\\d\\d:\\d\\d$").match(QString::fromStdString(j["elapsed_time"].get<std::string>())).hasMatch());
    const int64_t step = j["current_steps"].get<int64_t>();
    QCOMPARE(j["percentage"].get<double>(), std::round(static_cast<double>(step) / 9 * 100 * 100) / 100);
    QVERIFY(j["total_tokens"].get<int64_t>() >= tokens);
    tokens = j["total_tokens"].get<int64_t>();
    if (j.contains("loss")) {
      ++train_lines;
      QVERIFY(j.contains("lr"));
      QCOMPARE(step % 2, int64_t{0});
      // The mean of the two steps' losses, rounded to 4 digits.
      const double mean = (progress[static_cast<size_t>(step - 2)].loss + progress[static_cast<size_t>(step - 1)].loss) / 2;
      QCOMPARE(j["loss"].get<double>(), std::round(mean * 10000) / 10000);
    }
    if (j.contains("eval_loss")) {
      ++eval_lines;
      QCOMPARE(step % 3, int64_t{0});
    }
  }
  QCOMPARE(train_lines, int64_t{4});
  QCOMPARE(eval_lines, int64_t{3});
  // Tokens: every non-padding input token of 3 epochs.
  int64_t expected_tokens = 0;
  for (const auto& s : make_samples(14, 1)) expected_tokens += static_cast<int64_t>(s.ids.size());
  QCOMPARE(tokens, 3 * expected_tokens);

  // trainer_state.json as transformers writes it.
  const auto state = vltune::io::read_json_file(dir.path() / "trainer_state.json");
  QCOMPARE(state["global_step"].get<int64_t>(), int64_t{9});
  QCOMPARE(state["max_steps"].get<int64_t>(), int64_t{9});
  QCOMPARE(state["num_train_epochs"].get<int64_t>(), int64_t{3});
  QCOMPARE(state["logging_steps"].get<int64_t>(), int64_t{2});
  QCOMPARE(state["epoch"].get<double>(), 3.0);
  QVERIFY(state["best_metric"].is_number());
  const auto& history = state["log_history"];
  QCOMPARE(history.size(), size_t{4 + 3 + 1});
  for (const char* key : {"loss", "grad_norm", "learning_rate", "epoch", "step"}) QVERIFY2(history[0].contains(key), key);
  QCOMPARE(history[0]["step"].get<int64_t>(), int64_t{2});
  const auto& last = history.back();
  for (const char* key : {"train_loss", "train_runtime", "train_samples_per_second", "train_steps_per_second", "epoch", "step"})
    QVERIFY2(last.contains(key), key);
  double loss_sum = 0;
  for (const auto& pr : progress) loss_sum += pr.loss;
  QVERIFY(std::abs(last["train_loss"].get<double>() - loss_sum / 9) < 1e-12);
  QVERIFY(std::abs(result.train_loss - loss_sum / 9) < 1e-12);

  // all_results.json
  const auto all = vltune::io::read_json_file(dir.path() / "all_results.json");
  for (const char* key : {"epoch", "train_loss", "train_runtime", "train_samples_per_second", "train_steps_per_second", "eval_loss"})
    QVERIFY2(all.contains(key), key);
  QCOMPARE(all["eval_loss"].get<double>(), *result.eval_loss);
  QVERIFY(fs::exists(dir.path() / "toy.safetensors"));

  // The plots decode. (To look at one: VLTUNE_TEST_KEEP_PLOT=/tmp/plot.png.)
  if (const char* keep = std::getenv("VLTUNE_TEST_KEEP_PLOT"))
    fs::copy_file(dir.path() / "training_loss.png", keep, fs::copy_options::overwrite_existing);
  for (const char* name : {"training_loss.png", "training_eval_loss.png"}) {
    const auto png = decode_png(read_file(dir.path() / name));
    QVERIFY2(png.ok, qPrintable(QString("%1: %2").arg(name, QString::fromStdString(png.error))));
    QCOMPARE(png.width, 640u);
    QCOMPARE(png.height, 480u);
    // Some of the curve's blue is drawn.
    bool blue = false;
    for (size_t i = 0; i + 2 < png.pixels.size() && !blue; i += 3)
      blue = uint8_t(png.pixels[i]) == 0x1f && uint8_t(png.pixels[i + 1]) == 0x77 && uint8_t(png.pixels[i + 2]) == 0xb4;
    QVERIFY2(blue, name);
  }
}

void TestTrainer::pngWriter() {
  QCOMPARE(vltune::io::crc32("123456789"), 0xCBF43926u);
  QCOMPARE(vltune::io::adler32("Wikipedia"), 0x11E60398u);
  QCOMPARE(vltune::io::crc32("456789", vltune::io::crc32("123")), 0xCBF43926u);
  // Small, and large enough for several stored blocks.
  for (const auto [w, h] : {std::pair{3, 2}, std::pair{300, 100}}) {
    std::vector<uint8_t> rgb(static_cast<size_t>(w * h * 3));
    for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i * 7 + i / 5);
    const auto png = decode_png(vltune::io::encode_png_rgb(w, h, rgb));
    QVERIFY2(png.ok, png.error.c_str());
    QCOMPARE(png.width, static_cast<uint32_t>(w));
    QCOMPARE(png.height, static_cast<uint32_t>(h));
    QVERIFY(png.pixels == std::string(rgb.begin(), rgb.end()));
  }
  QVERIFY_THROWS_EXCEPTION(vltune::Error, vltune::io::encode_png_rgb(2, 2, std::vector<uint8_t>(5)));
}

void TestTrainer::smoothing() {
  const std::vector<double> v = {4.0, 2.0, 3.0, 1.0};
  const double weight = 1.8 * (1 / (1 + std::exp(-0.05 * 4)) - 0.5);
  std::vector<double> expected;
  double last = v[0];
  for (double x : v) expected.push_back(last = last * weight + (1 - weight) * x);
  QCOMPARE(smooth(v), expected);
  QVERIFY(smooth(std::vector<double>{}).empty());
}

void TestTrainer::plotOfOneStep() {
  // One logged step (a max_steps: 1 run): the value and its smoothed copy can differ in the last
  // bit; that range once gave ticks that never advanced (std::bad_alloc at the end of the run).
  const double value = 6.0441;
  const std::vector<double> steps{1.0}, values{value};
  const std::vector<double> near{value, std::nextafter(value, 7.0)};
  for (const auto& [x, y] : {std::pair{steps, values}, std::pair{std::vector<double>{1.0, 2.0}, near}}) {
    const auto png = decode_png(vltune::train::render_loss_plot(x, y, "training loss", "loss"));
    QVERIFY2(png.ok, png.error.c_str());
    QCOMPARE(png.width, 640u);
  }
}

void TestTrainer::earlyStopping() {
  vltune::test::TempDir dir;
  ToyModel model(1);
  auto train = train_source();
  auto eval = eval_source();
  auto p = run_params(dir.path());
  p.eval_steps = 1;
  p.num_train_epochs = 3;
  p.early_stopping_steps = 2;
  p.early_stopping_threshold = 0.1;
  // Per-token eval losses, twice each (the eval source has 2 batches): 3.0, 2.0 (better by more
  // than 0.1), 1.95 (better by less: not an improvement), 1.99 (worse) -> two evaluations in a
  // row without improvement: stop at the 4th.
  model.scripted_eval = {3.0, 3.0, 2.0, 2.0, 1.95, 1.95, 1.99, 1.99, 1.0, 1.0};
  Trainer trainer(model, train, &eval, p);
  const auto r = trainer.train();
  QCOMPARE(r.outcome, TrainOutcome::early_stopped);
  QCOMPARE(r.global_step, int64_t{4});
  QVERIFY(r.eval_loss && std::abs(*r.eval_loss - 1.99) < 1e-6);
  QCOMPARE(r.last_checkpoint, checkpoint_dir(dir.path(), 4));
  const auto state = vltune::io::read_json_file(dir.path() / "trainer_state.json");
  QVERIFY(std::abs(state["best_metric"].get<double>() - 1.95) < 1e-6);
  QCOMPARE(state["best_global_step"].get<int64_t>(), int64_t{3});
}

void TestTrainer::pinnedSamplesHook() {
  vltune::test::TempDir dir;
  ToyModel model(1);
  auto train = train_source();
  auto p = run_params(dir.path());
  p.pinned_samples_steps = 4;
  std::vector<int64_t> steps;
  TrainerCallbacks cb;
  cb.on_pinned_samples = [&](int64_t step) {
    steps.push_back(step);
    QVERIFY(!model.training());
    QVERIFY(!at::GradMode::is_enabled());
  };
  Trainer trainer(model, train, nullptr, p, cb);
  trainer.train();
  QCOMPARE(steps, (std::vector<int64_t>{4, 8}));
  QVERIFY(model.training());
  // Every training forward ran in training mode with autograd.
  for (bool t : model.seen_training) QVERIFY(t);
  for (bool g : model.seen_grad_mode) QVERIFY(g);
}

void TestTrainer::outOfMemory() {
  // How LibTorch reports it: 2.x's OutOfMemoryError, 1.13's plain c10::Error, the CPU allocator.
  auto detected = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const std::exception& e) {
      return is_out_of_memory(e);
    }
    return false;
  };
  QVERIFY(detected([] { TORCH_CHECK(false, "CUDA out of memory. Tried to allocate 2.00 GiB"); }));
  QVERIFY(detected([] { TORCH_CHECK_WITH(OutOfMemoryError, false, "CUDA out of memory."); }));
  QVERIFY(detected([] { TORCH_CHECK(false, "DefaultCPUAllocator: can't allocate memory: you tried to allocate 1 bytes"); }));
  QVERIFY(detected([] { throw std::bad_alloc(); }));
  QVERIFY(!detected([] { TORCH_CHECK(false, "shape mismatch"); }));
  QVERIFY(!detected([] { throw std::runtime_error("out of memory"); }));

  vltune::test::TempDir dir;
  ToyModel model(1);
  auto train = train_source();
  auto p = run_params(dir.path());
  p.save_steps = 0;
  bool fail = true;
  model.on_loss = [&](int64_t call) {
    if (fail && call == 4) TORCH_CHECK(false, "CUDA out of memory. Tried to allocate 20.00 GiB (GPU 0; 23.65 GiB total capacity)");
  };
  Trainer trainer(model, train, nullptr, p);
  try {
    trainer.train();
    QFAIL("the simulated out-of-memory should be reported");
  } catch (const OutOfMemoryError& e) {
    const QString msg = e.what();
    for (const char* advice : {"per_device_train_batch_size", "cutoff_len", "image_max_pixels", "gradient_checkpointing", "step 2 of 9"})
      QVERIFY2(msg.contains(advice), qPrintable(msg));
  }
  for (auto& param : model.trainable_parameters()) QVERIFY(!param.tensor.grad().defined());
  // The same trainer runs again once the cause is gone.
  fail = false;
  const auto r = trainer.train();
  QCOMPARE(r.outcome, TrainOutcome::finished);
  QCOMPARE(r.global_step, int64_t{9});
  // Other errors pass through as they are.
  model.on_loss = [](int64_t) { throw vltune::FormatError("bad batch"); };
  p.overwrite_output_dir = true;
  Trainer again(model, train, nullptr, p);
  QVERIFY_THROWS_EXCEPTION(vltune::FormatError, again.train());
}

void TestTrainer::refusedRunsAndResumes() {
  vltune::test::TempDir dir;
  ToyModel model(1);
  auto train = train_source();
  auto expect_error = [&](const TrainerParams& p, const QString& needle) {
    Trainer trainer(model, train, nullptr, p);
    try {
      trainer.train();
      QFAIL(qPrintable("no error for " + needle));
    } catch (const vltune::Error& e) {
      QVERIFY2(QString(e.what()).contains(needle), e.what());
    }
  };
  auto p = run_params(dir.path());
  p.lr_scheduler_type = "polynomial";
  expect_error(p, "lr_scheduler_type");
  p = run_params(dir.path());
  p.gradient_accumulation_steps = 0;
  expect_error(p, "gradient_accumulation_steps");
  p = run_params(dir.path());
  p.resume_from_checkpoint = "latest";
  expect_error(p, "no checkpoint");

  p = run_params(dir.path());
  p.num_train_epochs = 1;
  p.save_steps = 1;
  {
    Trainer trainer(model, train, nullptr, p);
    trainer.train();
  }
  expect_error(p, "overwrite_output_dir");  // a fresh run over an earlier run's checkpoints
  auto resume = p;
  resume.resume_from_checkpoint = "latest";
  resume.gradient_accumulation_steps = 1;
  expect_error(resume, "gradient_accumulation_steps");
  {
    ListSource other(make_samples(14, 1), 3, /*seed=*/12);
    Trainer trainer(model, other, nullptr, [&] { auto q = p; q.resume_from_checkpoint = "latest"; return q; }());
    QVERIFY_THROWS_EXCEPTION(vltune::Error, trainer.train());
  }
  // overwrite_output_dir starts over.
  p.overwrite_output_dir = true;
  Trainer trainer(model, train, nullptr, p);
  QCOMPARE(trainer.train().global_step, int64_t{3});
}

QTEST_APPLESS_MAIN(TestTrainer)
#include "test_trainer.moc"
