// lora::adapter_state (what a CUDA graph of a decoder stack bakes in besides its tensors): two
// forwards that would run the same kernels on the same memory have one signature, any change a
// captured graph could not follow gives another, and switching adapters off and back on (the
// preference trainer's reference pass, base-vs-adapted chat) gives the first one back, so no
// capture is repeated for it.

#include <torch/torch.h>

#include <QtTest/QtTest>

#include "core/lora/adapter_state.h"
#include "core/lora/lora_linear.h"

namespace lora = vltune::lora;

namespace {

lora::LoraAdapterParams adapter(double dropout = 0.0, bool dora = false) {
  lora::LoraAdapterParams p;
  p.r = 2;
  p.alpha = 4.0;
  p.dropout = dropout;
  p.use_dora = dora;
  return p;
}

// Two LoRA layers under a plain module, as a decoder layer's projections are: adapters "a" and
// "b" on both, "a" active.
struct Stack : torch::nn::Module {
  Stack() {
    for (const char* name : {"q", "v"}) {
      auto l = register_module(name, lora::LoraLinear(4, 3));
      l->add_adapter("a", adapter());
      l->add_adapter("b", adapter());
      l->set_active({"a"});
      layers.push_back(l);
    }
  }
  void set_active(const std::vector<std::string>& names) {
    for (auto& l : layers) l->set_active(names);
  }
  std::vector<lora::LoraLinear> layers;
};

uint64_t signature(const torch::nn::Module& m) { return lora::adapter_state(m).signature; }

}  // namespace

class TestAdapterState : public QObject {
  Q_OBJECT

 private slots:
  void sameStateSameSignature() {
    auto s = std::make_shared<Stack>();
    QCOMPARE(signature(*s), signature(*s));
    // Training the adapters changes their values, not what the kernels read: no new capture.
    const auto before = signature(*s);
    {
      torch::NoGradGuard no_grad;
      s->layers[0]->lora_B_weight("a").add_(1.0);
      s->layers[1]->weight.mul_(2.0);
    }
    QCOMPARE(signature(*s), before);
  }

  void switchingAdaptersChangesItAndBackRestoresIt() {
    auto s = std::make_shared<Stack>();
    const auto adapted = signature(*s);
    s->set_active({});
    const auto base = signature(*s);
    QVERIFY(base != adapted);
    s->set_active({"b"});
    QVERIFY(signature(*s) != adapted);
    QVERIFY(signature(*s) != base);
    s->set_active({"a", "b"});
    QVERIFY(signature(*s) != adapted);
    s->set_active({"a"});
    QCOMPARE(signature(*s), adapted);
    // One layer only switched: still another forward.
    s->layers[1]->set_active({});
    QVERIFY(signature(*s) != adapted);
    QVERIFY(signature(*s) != base);
  }

  void scaleDtypeAndModeCount() {
    auto s = std::make_shared<Stack>();
    const auto first = signature(*s);
    s->layers[0]->set_scale(0.5);
    QVERIFY(signature(*s) != first);
    s->layers[0]->set_scale(1.0);
    QCOMPARE(signature(*s), first);
    s->layers[1]->set_compute_dtype(torch::kBFloat16);
    QVERIFY(signature(*s) != first);
    s->layers[1]->set_compute_dtype(std::nullopt);
    QCOMPARE(signature(*s), first);
    s->eval();
    QVERIFY(signature(*s) != first);
    s->train();
    QCOMPARE(signature(*s), first);
  }

  void replacedTensorsCount() {
    auto s = std::make_shared<Stack>();
    const auto first = signature(*s);
    // The base weight re-pointed (stacked into one buffer, dequantised...): the graph would read
    // the old memory.
    {
      torch::NoGradGuard no_grad;
      s->layers[0]->weight.set_(s->layers[0]->weight.clone());
    }
    const auto repointed = signature(*s);
    QVERIFY(repointed != first);
    // An adapter removed and added again under its name: new tensors, though frozen ones are not
    // among the trained parameters the graphs are keyed on too.
    s->layers[1]->remove_adapter("a");
    s->layers[1]->add_adapter("a", adapter());
    s->layers[1]->set_active({"a"});
    QVERIFY(signature(*s) != repointed);
    // Same name, other hyper-parameters: another scaling.
    s->layers[1]->remove_adapter("b");
    auto wider = adapter();
    wider.alpha = 8.0;
    s->layers[1]->add_adapter("b", wider);
    s->layers[1]->set_active({"b"});
    const auto with_b = signature(*s);
    s->layers[0]->set_active({"b"});
    QVERIFY(signature(*s) != with_b);
  }

  void dropoutDrawsRandomOnlyWhileTraining() {
    lora::LoraLinear l(4, 3);
    l->add_adapter("plain", adapter());
    l->add_adapter("dropped", adapter(/*dropout=*/0.1));
    l->add_adapter("dora", adapter(/*dropout=*/0.0, /*dora=*/true));
    l->set_active({"plain", "dora"});
    QVERIFY(!lora::adapter_state(*l).draws_random);
    l->set_active({"plain", "dropped"});
    QVERIFY(lora::adapter_state(*l).draws_random);  // the root itself is walked
    l->eval();
    QVERIFY(!lora::adapter_state(*l).draws_random);
    l->train();
    l->set_active({"dora"});
    QVERIFY(!lora::adapter_state(*l).draws_random);
  }

  void otherModulesAreIgnored() {
    // A module tree without LoRA layers has one signature whatever it holds.
    auto plain = std::make_shared<torch::nn::Module>();
    plain->register_module("linear", torch::nn::Linear(4, 3));
    auto other = std::make_shared<torch::nn::Module>();
    QCOMPARE(signature(*plain), signature(*other));
    QVERIFY(!lora::adapter_state(*plain).draws_random);
  }
};

QTEST_APPLESS_MAIN(TestAdapterState)
#include "test_adapter_state.moc"
