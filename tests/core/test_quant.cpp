// NF4 / int8 quantisation of frozen weights (issue 12): the code book and thresholds bitsandbytes
// publishes, its block layout and nibble order, its dynamic 8-bit map for the double-quantised
// absmax, and round trips computed by hand from those tables.

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <QtTest/QtTest>

#include "core/error.h"
#include "core/lora/lora_factory.h"
#include "core/lora/merge_export.h"
#include "core/lora/peft_adapter.h"
#include "core/quant/nf4.h"
#include "tests/model_parity_support.h"

using namespace vltune::quant;

// QCOMPARE on floats is fuzzy: these comparisons are bit for bit.
#define QCOMPARE_EXACT(got, want)                                                                  \
  do {                                                                                             \
    const float got_ = (got), want_ = (want);                                                      \
    QVERIFY2(got_ == want_, qPrintable(QString("%1 = %2, expected %3").arg(#got).arg(double(got_), 0, 'g', 17).arg(double(want_), 0, 'g', 17))); \
  } while (0)

namespace {

// The index of the nearest entry (first on ties), by brute force.
template <size_t N>
int nearest(const std::array<float, N>& code, float x) {
  int best = 0;
  for (int i = 1; i < static_cast<int>(N); ++i)
    if (std::fabs(x - code[i]) < std::fabs(x - code[best])) best = i;
  return best;
}

std::vector<uint8_t> bytes_of(const torch::Tensor& t) {
  const auto c = t.to(torch::kCPU).contiguous();
  return std::vector<uint8_t>(c.data_ptr<uint8_t>(), c.data_ptr<uint8_t>() + c.numel());
}

}  // namespace

class TestQuant : public QObject {
  Q_OBJECT

 private slots:
  void codeBookAndThresholds();
  void exactCodesRoundTrip();
  void midpointsTakeTheLowerCode();
  void nearestCodeOnRandomValues();
  void nibbleOrderAndOddTail();
  void blocksAndPartialBlock();
  void dynamicMapKnownValues();
  void dynamicIndexIsNearest();
  void doubleQuantByHand();
  void doubleQuantErrorBound();
  void chunkingAndDtypeDoNotChangeTheResult();
  void tensorOpsMatchTheLoop();
  void zeroBlock();
  void int8RowWise();
  void badInputs();
  void loraStepOnQuantisedModel_data();
  void loraStepOnQuantisedModel();
  void quantisedLayerForwardAndBackward();
};

void TestQuant::codeBookAndThresholds() {
  // bitsandbytes' published NF4 values: symmetric ends, zero at 7, increasing.
  QCOMPARE_EXACT(kNf4Code[0], -1.0f);
  QCOMPARE_EXACT(kNf4Code[7], 0.0f);
  QCOMPARE_EXACT(kNf4Code[15], 1.0f);
  QCOMPARE_EXACT(kNf4Code[8], 0.07958029955625534f);
  QCOMPARE_EXACT(kNf4Code[1], -0.6961928009986877f);
  for (size_t i = 0; i + 1 < kNf4Code.size(); ++i) QVERIFY(kNf4Code[i] < kNf4Code[i + 1]);
  // Each threshold is the midpoint of its neighbours (to float precision).
  for (size_t i = 0; i < kNf4Thresholds.size(); ++i) {
    const double mid = (static_cast<double>(kNf4Code[i]) + kNf4Code[i + 1]) / 2.0;
    QVERIFY2(std::fabs(kNf4Thresholds[i] - mid) <= 1e-7, qPrintable(QString("threshold %1").arg(i)));
  }
}

void TestQuant::exactCodesRoundTrip() {
  // A block whose elements are absmax * code[i] (absmax itself among them) comes back exactly.
  for (float absmax : {1.0f, 2.0f, 0.37f, 3.1e-3f}) {
    std::vector<float> v(64);
    for (int i = 0; i < 64; ++i) v[i] = absmax * kNf4Code[(i * 7) % 16];
    const auto w = torch::tensor(v).view({4, 16});
    const auto q = quantize_nf4(w, 64, /*double_quant=*/false);
    QCOMPARE(q.absmax.numel(), int64_t{1});
    QCOMPARE_EXACT(q.absmax.item<float>(), absmax);
    const auto codes = nf4_codes(q);
    for (int i = 0; i < 64; ++i) QCOMPARE(int(codes[i].item<uint8_t>()), (i * 7) % 16);
    QVERIFY(torch::equal(dequantize(q, torch::kFloat32), w));
  }
}

void TestQuant::midpointsTakeTheLowerCode() {
  // absmax 1 (the 1.0 element), so the scaled values are the values themselves.
  std::vector<float> v(64, 0.0f);
  v[0] = 1.0f;
  for (int i = 0; i < 15; ++i) {
    v[1 + 2 * i] = kNf4Thresholds[i];                                                    // on the midpoint
    v[2 + 2 * i] = std::nextafter(kNf4Thresholds[i], std::numeric_limits<float>::infinity());  // just above
  }
  const auto q = quantize_nf4(torch::tensor(v), 64, false);
  const auto codes = nf4_codes(q);
  QCOMPARE(int(codes[0].item<uint8_t>()), 15);
  for (int i = 0; i < 15; ++i) {
    QCOMPARE(int(codes[1 + 2 * i].item<uint8_t>()), i);
    QCOMPARE(int(codes[2 + 2 * i].item<uint8_t>()), i + 1);
  }
  QCOMPARE(int(codes[63].item<uint8_t>()), 7);  // 0.0
  QCOMPARE(int(nf4_index(std::numeric_limits<float>::quiet_NaN())), 0);
}

void TestQuant::nearestCodeOnRandomValues() {
  torch::manual_seed(7);
  const auto w = torch::randn({32, 96});
  const auto q = quantize_nf4(w, 64, false);
  const auto codes = nf4_codes(q);
  const auto absmax = q.absmax;
  const auto flat = w.reshape({-1});
  for (int64_t i = 0; i < flat.numel(); ++i) {
    const float scaled = flat[i].item<float>() * (1.0f / absmax[i / 64].item<float>());
    QCOMPARE(int(codes[i].item<uint8_t>()), nearest(kNf4Code, scaled));
  }
  // Dequantised = code * absmax, elementwise in float32.
  const auto deq = dequantize(q, torch::kFloat32).reshape({-1});
  for (int64_t i = 0; i < flat.numel(); i += 37)
    QCOMPARE_EXACT(deq[i].item<float>(), kNf4Code[codes[i].item<uint8_t>()] * absmax[i / 64].item<float>());
}

void TestQuant::nibbleOrderAndOddTail() {
  // [1, -1, 0, 1, ...]: the first element in the HIGH nibble.
  const auto w = torch::tensor({1.0f, -1.0f, 0.0f, 1.0f, -1.0f, 0.0f, 0.5626170039176941f, 0.0f, 1.0f}).view({3, 3});
  const auto q = quantize_nf4(w, 64, false);
  QCOMPARE(q.packed.numel(), int64_t{5});
  const auto b = bytes_of(q.packed);
  QCOMPARE(int(b[0]), 0xF0);
  QCOMPARE(int(b[1]), 0x7F);
  QCOMPARE(int(b[2]), 0x07);
  QCOMPARE(int(b[3]), 0xD7);
  QCOMPARE(int(b[4]), 0xF7);  // the odd tail: code 7 (0.0) in the low nibble
  QVERIFY(torch::equal(dequantize(q, torch::kFloat32), w));
  QCOMPARE(dequantize(q, torch::kFloat32).sizes().vec(), (std::vector<int64_t>{3, 3}));
}

void TestQuant::blocksAndPartialBlock() {
  // 64 * 2 + 10 elements: three blocks, the last one partial, each with its own absmax.
  auto w = torch::zeros({138});
  w[5] = -3.0f;
  w[64 + 63] = 0.25f;
  w[128 + 9] = 7.5f;
  w[128] = -1.0f;
  const auto q = quantize_nf4(w, 64, false);
  QCOMPARE(q.absmax.numel(), int64_t{3});
  QCOMPARE_EXACT(q.absmax[0].item<float>(), 3.0f);
  QCOMPARE_EXACT(q.absmax[1].item<float>(), 0.25f);
  QCOMPARE_EXACT(q.absmax[2].item<float>(), 7.5f);
  QCOMPARE(q.packed.numel(), int64_t{69});
  const auto d = dequantize(q, torch::kFloat32);
  QCOMPARE_EXACT(d[5].item<float>(), -3.0f);
  QCOMPARE_EXACT(d[127].item<float>(), 0.25f);
  QCOMPARE_EXACT(d[137].item<float>(), 7.5f);
  // -1 / 7.5 = -0.1333: above the -0.1379 midpoint of -0.1848 and -0.0911 -> code 6.
  QCOMPARE_EXACT(d[128].item<float>(), kNf4Code[6] * 7.5f);
  // Blocksize 128: two blocks.
  QCOMPARE(quantize_nf4(w, 128, false).absmax.numel(), int64_t{2});
}

void TestQuant::dynamicMapKnownValues() {
  const auto& m = dynamic_map_signed();
  for (size_t i = 0; i + 1 < m.size(); ++i) QVERIFY(m[i] <= m[i + 1]);
  QCOMPARE_EXACT(m[127], 0.0f);
  QCOMPARE_EXACT(m[255], 1.0f);
  // Symmetric apart from the extra 1.0: m[k] = -m[254 - k].
  for (int k = 0; k < 127; ++k) QCOMPARE_EXACT(m[k], -m[254 - k]);
  // Values bitsandbytes lists for its dynamic type (csrc/kernels.cu, the comment above
  // quantize_atomic: "values 0 to 32: 5.5e-07 to 0.011406250298023224 ..."): positive k-th value
  // at 128 + k, as float32, including the ones float rounding moves off the decimal value.
  QVERIFY(std::fabs(m[128] - 5.5e-07f) <= 1e-13f);
  QCOMPARE_EXACT(m[128 + 31], 0.011406250298023224f);
  QCOMPARE_EXACT(m[128 + 32], 0.014218750409781933f);
  QCOMPARE_EXACT(m[128 + 63], 0.10703125596046448f);
  QCOMPARE_EXACT(m[128 + 64], 0.12109375f);
  QCOMPARE_EXACT(m[128 + 95], 0.5570312738418579f);
  QCOMPARE_EXACT(m[128 + 96], 0.5710937976837158f);
  QCOMPARE_EXACT(m[254], 0.99296875f);
}

void TestQuant::dynamicIndexIsNearest() {
  const auto& m = dynamic_map_signed();
  torch::manual_seed(3);
  const auto xs = torch::cat({torch::rand({2000}) * 2 - 1, torch::randn({500}) * 1e-3, torch::randn({200}) * 1e-5});
  for (int64_t i = 0; i < xs.numel(); ++i) {
    const float x = xs[i].item<float>();
    const int got = dynamic_index(m, x);
    const int want = nearest(m, x);
    // Only an exact tie could differ; then both are equally near.
    QVERIFY2(got == want || std::fabs(x - m[got]) == std::fabs(x - m[want]),
             qPrintable(QString("x=%1 got %2 want %3").arg(double(x), 0, 'g', 9).arg(got).arg(want)));
  }
  QCOMPARE(int(dynamic_index(m, 1.0f)), 255);
  QCOMPARE(int(dynamic_index(m, -1.0f)), 0);
  QCOMPARE(int(dynamic_index(m, 0.0f)), 127);
}

void TestQuant::doubleQuantByHand() {
  torch::manual_seed(11);
  // 300 blocks of 64: two second-level blocks (256 + 44).
  const auto w = torch::randn({150, 128}) * torch::linspace(0.01, 2.0, 150).unsqueeze(1);
  const auto plain = quantize_nf4(w, 64, false);
  const auto q = quantize_nf4(w, 64, true);
  QVERIFY(q.double_quant);
  QCOMPARE(q.absmax.scalar_type(), torch::kUInt8);
  QCOMPARE(q.absmax.numel(), int64_t{300});
  QCOMPARE(q.absmax2.numel(), int64_t{2});
  QCOMPARE(q.absmax2.scalar_type(), torch::kFloat32);
  // The codes do not depend on double quantisation (it acts on the scales only).
  QVERIFY(torch::equal(q.packed, plain.packed));
  // offset = mean(absmax); absmax2 = max |absmax - offset| per 256.
  const auto absmax = plain.absmax;
  QCOMPARE_EXACT(q.offset, absmax.mean().item<float>());
  const auto centered = absmax - absmax.mean();
  QCOMPARE_EXACT(q.absmax2[0].item<float>(), centered.narrow(0, 0, 256).abs().max().item<float>());
  QCOMPARE_EXACT(q.absmax2[1].item<float>(), centered.narrow(0, 256, 44).abs().max().item<float>());
  // Dequantised by hand from the tables: map[q] * absmax2 + offset, then NF4 * that, in float.
  const auto& m = dynamic_map_signed();
  const auto codes = nf4_codes(q);
  const auto deq = dequantize(q, torch::kFloat32).reshape({-1});
  const auto deq_absmax = dequantize_absmax(q);
  for (int64_t b = 0; b < 300; ++b) {
    const float a = m[q.absmax[b].item<uint8_t>()] * q.absmax2[b / 256].item<float>() + q.offset;
    QCOMPARE_EXACT(deq_absmax[b].item<float>(), a);
    for (int64_t j = b * 64; j < b * 64 + 64; j += 13) QCOMPARE_EXACT(deq[j].item<float>(), kNf4Code[codes[j].item<uint8_t>()] * a);
  }
  // bf16 output = the float32 result rounded.
  QVERIFY(torch::equal(dequantize(q, torch::kBFloat16), dequantize(q, torch::kFloat32).to(torch::kBFloat16)));
}

void TestQuant::doubleQuantErrorBound() {
  torch::manual_seed(5);
  const auto w = torch::randn({64, 512}) * 0.02;
  const auto plain = quantize_nf4(w, 64, false);
  const auto q = quantize_nf4(w, 64, true);
  const auto& m = dynamic_map_signed();
  const auto got = dequantize_absmax(q);
  for (int64_t b = 0; b < plain.absmax.numel(); ++b) {
    const float a2 = q.absmax2[b / 256].item<float>();
    const int i = q.absmax[b].item<uint8_t>();
    // Half the map's step around the chosen value, times the second-level scale.
    const float step = std::max(i < 255 ? m[i + 1] - m[i] : 0.0f, i > 0 ? m[i] - m[i - 1] : 0.0f);
    const float err = std::fabs(got[b].item<float>() - plain.absmax[b].item<float>());
    QVERIFY2(err <= 0.5f * step * a2 * (1 + 1e-5f) + 1e-7f * plain.absmax[b].item<float>(),
             qPrintable(QString("block %1: error %2, step %3 x %4").arg(b).arg(err).arg(step).arg(a2)));
  }
  // And the weights: within a percent of the single-quantised ones' scale.
  const auto d1 = dequantize(plain, torch::kFloat32), d2 = dequantize(q, torch::kFloat32);
  QVERIFY((d1 - d2).abs().max().item<float>() <= 0.01f * w.abs().max().item<float>());
}

void TestQuant::chunkingAndDtypeDoNotChangeTheResult() {
  torch::manual_seed(9);
  const auto w = torch::randn({37, 70}).to(torch::kBFloat16);  // 2590 elements: a partial last block
  const auto whole = quantize_nf4(w, 64, true);
  const auto chunked = quantize_nf4(w, 64, true, /*chunk_elements=*/64);
  QVERIFY(torch::equal(whole.packed, chunked.packed));
  QVERIFY(torch::equal(whole.absmax, chunked.absmax));
  QVERIFY(torch::equal(whole.absmax2, chunked.absmax2));
  QCOMPARE(whole.dtype, torch::kBFloat16);
  // bf16 source = its float32 values.
  const auto f32 = quantize_nf4(w.to(torch::kFloat32), 64, true);
  QVERIFY(torch::equal(whole.packed, f32.packed));
  QCOMPARE(dequantize(whole).scalar_type(), torch::kBFloat16);
  // 4-bit storage: about an eighth of float32 plus the scales.
  QVERIFY(whole.bytes() < w.numel() * 4 / 7);
}

// The GPU's quantiser (LibTorch operations, run here on the CPU) against the loop, bit for bit:
// partial last blocks, odd tails, all-zero blocks, values on thresholds, both blocksizes, with and
// without double quantisation, bf16 and float32 sources.
void TestQuant::tensorOpsMatchTheLoop() {
  torch::manual_seed(11);
  auto on_thresholds = torch::tensor(std::vector<float>(kNf4Thresholds.begin(), kNf4Thresholds.end()));
  std::vector<torch::Tensor> weights = {
      torch::randn({37, 70}).to(torch::kBFloat16),  // 2590 elements: a partial last block
      torch::randn({3, 21}),                        // 63: an odd tail
      torch::cat({torch::zeros({64}), torch::randn({100}) * 3, torch::zeros({64 + 7})}),  // zero blocks
      torch::cat({on_thresholds, -on_thresholds, torch::ones({1}), torch::zeros({1})}),   // 32: codes on the edges
      torch::randn({256, 512}) * 0.02,
  };
  for (const auto& w : weights)
    for (const int64_t blocksize : {64, 128})
      for (const bool dq : {false, true}) {
        const auto loop = quantize_nf4(w, blocksize, dq);
        const auto ops = quantize_nf4_tensor_ops(w, blocksize, dq);
        const auto what = QString("%1 elements, blocksize %2, double quant %3").arg(w.numel()).arg(blocksize).arg(dq);
        QVERIFY2(torch::equal(loop.packed, ops.packed), qPrintable("codes differ: " + what));
        QVERIFY2(torch::equal(loop.absmax, ops.absmax), qPrintable("absmax differs: " + what));
        QCOMPARE(ops.absmax2.defined(), loop.absmax2.defined());
        if (dq) {
          QVERIFY2(torch::equal(loop.absmax2, ops.absmax2), qPrintable("absmax2 differs: " + what));
          QCOMPARE_EXACT(ops.offset, loop.offset);
        }
        QCOMPARE(ops.shape, loop.shape);
        QCOMPARE(ops.dtype, loop.dtype);
        QVERIFY(torch::equal(dequantize(ops, torch::kFloat32), dequantize(loop, torch::kFloat32)));
      }
}

void TestQuant::zeroBlock() {
  auto w = torch::zeros({2, 64});
  w[1][3] = 0.5f;
  const auto q = quantize_nf4(w, 64, false);
  QCOMPARE_EXACT(q.absmax[0].item<float>(), 0.0f);
  // The kernels' 0 * (1 / 0) = NaN falls to code 0; the value is 0 either way.
  QCOMPARE(int(bytes_of(q.packed)[0]), 0x00);
  QVERIFY(torch::equal(dequantize(q, torch::kFloat32), w));
  // With double quantisation the zero scale comes back as map[0] * absmax2 + offset, not 0 (the
  // signed map has no -1), so bitsandbytes' zero block holds code 0 times that small scale.
  const auto dq = quantize_nf4(w, 64, true);
  const float a0 = dynamic_map_signed()[dq.absmax[0].item<uint8_t>()] * dq.absmax2[0].item<float>() + dq.offset;
  QVERIFY(std::fabs(a0) < 0.01f);
  QVERIFY(torch::equal(dequantize(dq, torch::kFloat32)[0], torch::full({64}, kNf4Code[0] * a0)));
}

void TestQuant::int8RowWise() {
  const auto w = torch::tensor({127.0f, -63.5f, 0.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 2.0f, -1.0f, 0.5f, 0.0f}).view({3, 4});
  const auto q = quantize_int8(w);
  QCOMPARE(q.packed.scalar_type(), torch::kInt8);
  QCOMPARE(q.absmax.scalar_type(), torch::kFloat32);
  const auto expected = torch::tensor({127, -64, 0, 1, 0, 0, 0, 0, 127, -64, 32, 0}, torch::kInt8).view({3, 4});
  QVERIFY(torch::equal(q.packed, expected));  // round half to even: -63.5 -> -64, 31.75 -> 32
  QCOMPARE_EXACT(q.absmax[0].item<float>(), 127.0f);
  QCOMPARE_EXACT(q.absmax[1].item<float>(), 0.0f);
  const auto d = dequantize(q, torch::kFloat32);
  QCOMPARE_EXACT(d[0][0].item<float>(), 127.0f * 127.0f * 7.874015718698502e-3f);
  QVERIFY(torch::equal(d[1], torch::zeros({4})));
  torch::manual_seed(1);
  const auto r = torch::randn({16, 40});
  const auto rq = dequantize(quantize_int8(r, /*chunk_rows=*/3), torch::kFloat32);
  const auto rowmax = std::get<0>(r.abs().max(1)).unsqueeze(1);
  QVERIFY(((rq - r).abs() <= rowmax / 127.0 * 0.5 + 1e-6).all().item<bool>());
}

void TestQuant::badInputs() {
  QVERIFY_THROWS_EXCEPTION(vltune::Error, quantize_nf4(torch::ones({4}, torch::kLong)));
  QVERIFY_THROWS_EXCEPTION(vltune::Error, quantize_nf4(torch::ones({4}), 63));
  QVERIFY_THROWS_EXCEPTION(vltune::Error, quantize_int8(torch::ones({4})));
}

void TestQuant::quantisedLayerForwardAndBackward() {
  // One layer: forward and the input gradient equal F::linear on the dequantised copy, the
  // full-precision weight is released, and dequantize_base() brings that copy back.
  torch::manual_seed(2);
  vltune::lora::LoraLinear layer(torch::nn::LinearOptions(96, 40).bias(true));
  vltune::lora::QuantParams qp;
  qp.bits = 4;
  layer->quantize_base(qp, torch::kFloat32);
  QVERIFY(layer->is_quantized());
  QCOMPARE(layer->weight.numel(), int64_t{0});
  const auto w = dequantize(layer->quantized_weight(), torch::kFloat32);
  QCOMPARE(w.sizes().vec(), (std::vector<int64_t>{40, 96}));
  auto x = torch::randn({3, 5, 96}, torch::requires_grad());
  auto x2 = x.detach().clone().requires_grad_(true);
  const auto y = layer->forward(x);
  const auto y2 = torch::nn::functional::linear(x2, w, layer->bias.detach());
  QVERIFY(torch::allclose(y, y2, 1e-6, 1e-6));
  (y * y).sum().backward();
  (y2 * y2).sum().backward();
  QVERIFY(torch::allclose(x.grad(), x2.grad(), 1e-5, 1e-6));
  QVERIFY_THROWS_EXCEPTION(vltune::Error, layer->quantize_base(qp, torch::kFloat32));
  layer->dequantize_base();
  QVERIFY(!layer->is_quantized());
  QVERIFY(torch::equal(layer->weight, w));
  qp.bits = 3;
  QVERIFY_THROWS_EXCEPTION(vltune::Error, layer->quantize_base(qp, torch::kFloat32));
  qp.bits = 4;
  qp.type = "fp4";
  QVERIFY_THROWS_EXCEPTION(vltune::Error, layer->quantize_base(qp, torch::kFloat32));
}

void TestQuant::loraStepOnQuantisedModel_data() {
  QTest::addColumn<QString>("family");
  QTest::addColumn<int>("bits");
  const auto families = vltune::test::hf_fixture_families();
  QVERIFY(!families.empty());
  for (const auto& f : families) {
    if (f == "clip") continue;  // a contrastive model: no causal language model to quantise here
    for (int bits : {4, 8}) QTest::newRow((f + "/" + std::to_string(bits)).c_str()) << QString::fromStdString(f) << bits;
  }
}

void TestQuant::loraStepOnQuantisedModel() {
  // A LoRA step (forward, backward, AdamW, forward) on the quantised model equals the same step on
  // a full-precision copy whose base weights are dequantize(quantize(W)).
  QFETCH(QString, family);
  QFETCH(int, bits);
  namespace lora = vltune::lora;
  const auto f = vltune::test::parity_fixture(family);
  lora::LoraParams params;
  params.rank = 4;
  params.alpha = 8;
  params.quant.bits = bits;
  auto quantised = lora::open_lora_model(f.dir / "model", params);
  lora::LoraParams plain_params = params;
  plain_params.quant.bits = 0;
  auto reference = lora::open_lora_model(f.dir / "model", plain_params);

  // The reference gets the dequantised weights; both get the same non-zero lora_B (so that
  // lora_A's gradients are not all zero).
  int quantised_layers = 0;
  int64_t full_bytes = 0, stored_bytes = 0;
  {
    torch::NoGradGuard no_grad;
    const auto ql = lora::lora_linears(quantised->module());
    const auto rl = lora::lora_linears(reference->module());
    for (const auto& [path, layer] : ql) {
      if (!layer->is_quantized()) continue;
      ++quantised_layers;
      QCOMPARE(layer->weight.numel(), int64_t{0});  // released
      const auto q = layer->quantized_weight();
      full_bytes += rl.at(path)->weight.numel() * 4;
      stored_bytes += q.bytes();
      rl.at(path)->weight.copy_(dequantize(q, torch::kFloat32));
    }
    torch::manual_seed(123);
    auto qp = quantised->trainable_parameters();
    auto rp = reference->trainable_parameters();
    QCOMPARE(qp.size(), rp.size());
    for (size_t i = 0; i < qp.size(); ++i) {
      QCOMPARE(qp[i].name, rp[i].name);
      if (qp[i].name.find("lora_B") != std::string::npos) qp[i].tensor.normal_(0.0, 0.05);
      rp[i].tensor.copy_(qp[i].tensor);
    }
  }
  QVERIFY(quantised_layers > 0);
  QVERIFY2(stored_bytes * (bits == 4 ? 6 : 3) < full_bytes,
           qPrintable(QString("stored %1 bytes for %2 float32 bytes").arg(stored_bytes).arg(full_bytes)));

  const auto batch = vltune::test::fixture_batch(quantised->family(), f);
  auto mean_loss = [&](lora::LoraModel& m) {
    const auto l = m.loss(batch);
    return l.loss_sum / static_cast<double>(l.tokens);
  };
  quantised->set_training(true);
  reference->set_training(true);
  auto lq = mean_loss(*quantised);
  auto lr = mean_loss(*reference);
  qInfo("loss: quantised %.9g, dequantised copy %.9g", lq.item<double>(), lr.item<double>());
  QVERIFY(std::abs(lq.item<double>() - lr.item<double>()) <= 1e-5 * std::max(1.0, std::abs(lr.item<double>())));
  lq.backward();
  lr.backward();
  auto qp = quantised->trainable_parameters();
  auto rp = reference->trainable_parameters();
  double worst = 0;
  for (size_t i = 0; i < qp.size(); ++i) {
    const auto gq = qp[i].tensor.grad(), gr = rp[i].tensor.grad();
    QVERIFY2(gq.defined() && gr.defined(), qp[i].name.c_str());
    const double ref_norm = gr.norm().item<double>();
    QVERIFY2(ref_norm > 0, (qp[i].name + ": zero gradient").c_str());
    const double rel = (gq - gr).norm().item<double>() / ref_norm;
    worst = std::max(worst, rel);
    QVERIFY2(rel <= 1e-5, qPrintable(QString("%1: relative gradient difference %2").arg(qp[i].name.c_str()).arg(rel)));
  }
  qInfo("%d quantised layers, %lld bytes stored for %lld float32 bytes; worst gradient rel. diff %.3g", quantised_layers,
        static_cast<long long>(stored_bytes), static_cast<long long>(full_bytes), worst);
  // One AdamW step on each, then the losses again.
  auto step = [](std::vector<vltune::train::TrainableParam>& ps) {
    std::vector<torch::Tensor> ts;
    for (auto& p : ps) ts.push_back(p.tensor);
    torch::optim::AdamW opt(ts, torch::optim::AdamWOptions(1e-2).weight_decay(0.01));
    opt.step();
  };
  step(qp);
  step(rp);
  {
    torch::NoGradGuard no_grad;
    const double aq = mean_loss(*quantised).item<double>(), ar = mean_loss(*reference).item<double>();
    qInfo("loss after AdamW: quantised %.9g, dequantised copy %.9g", aq, ar);
    QVERIFY(std::abs(aq - ar) <= 1e-5 * std::max(1.0, std::abs(ar)));
    QVERIFY(std::abs(aq - lq.item<double>()) > 1e-6);  // the step did something
  }
  // Merging into quantised weights is refused, naming what to do.
  const auto out = std::filesystem::temp_directory_path() / ("vltune_test_quant_export_" + std::to_string(::getpid()));
  try {
    lora::export_merged(*quantised, out, {});
    QFAIL("export_merged merged into a quantised base");
  } catch (const vltune::Error& e) {
    QVERIFY2(std::string(e.what()).find("dequantise the base first") != std::string::npos, e.what());
  }
  QVERIFY(!std::filesystem::exists(out));
  QVERIFY_THROWS_EXCEPTION(vltune::Error, quantised->merge_active_adapters());
}

QTEST_APPLESS_MAIN(TestQuant)
#include "test_quant.moc"
