// The engine's speed switches (core/env_switch.h): read from the environment once ("1" on, "0"
// off, anything else the default), changed by set_switch(), and reported where away from their
// defaults, which is what logs and benchmark records say a run used.

#include <cstdlib>
#include <string>

#include <QtTest/QtTest>

#include "core/env_switch.h"
#include "core/runtime_info.h"

using vltune::Switch;

namespace {

constexpr int kCount = static_cast<int>(Switch::count);

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

class TestEnvSwitch : public QObject {
  Q_OBJECT

 private slots:
  // Before any switch is read: the environment is taken at the first use.
  void initTestCase() {
    for (int i = 0; i < kCount; ++i) ::unsetenv(vltune::switch_info(static_cast<Switch>(i)).name);
    ::setenv("VLTUNE_ATTENTION_BATCHED_VALUES", "1", 1);  // off by default: on
    ::setenv("VLTUNE_TRAIN_GRAPHS", "0", 1);               // on by default: off
    ::setenv("VLTUNE_CUDA_GRAPHS", "no", 1);               // neither "0" nor "1": the default (on)
    ::setenv("VLTUNE_CHECKPOINT_GRAPHS", "", 1);           // empty: the default (on)
  }

  void readsTheEnvironment() {
    QVERIFY(vltune::switch_on(Switch::attention_batched_values));
    QVERIFY(!vltune::switch_on(Switch::train_graphs));
    QVERIFY(vltune::switch_on(Switch::cuda_graphs));
    QVERIFY(vltune::switch_on(Switch::checkpoint_graphs));
    QVERIFY(vltune::switch_on(Switch::decode_gemv));  // unset: the default (on)
    QCOMPARE(vltune::switches_changed(), std::string("VLTUNE_TRAIN_GRAPHS=0 VLTUNE_ATTENTION_BATCHED_VALUES=1"));
    // Set once: a later change of the environment is not seen.
    ::setenv("VLTUNE_ATTENTION_BATCHED_VALUES", "0", 1);
    QVERIFY(vltune::switch_on(Switch::attention_batched_values));
  }

  void namesAreDistinctAndPrefixed() {
    for (int i = 0; i < kCount; ++i) {
      const std::string name = vltune::switch_info(static_cast<Switch>(i)).name;
      QVERIFY2(name.rfind("VLTUNE_", 0) == 0, name.c_str());
      for (int j = 0; j < i; ++j) QVERIFY2(name != vltune::switch_info(static_cast<Switch>(j)).name, name.c_str());
    }
  }

  void setSwitchAndReport() {
    for (int i = 0; i < kCount; ++i) vltune::set_switch(static_cast<Switch>(i), vltune::switch_info(static_cast<Switch>(i)).fallback);
    QCOMPARE(vltune::switches_changed(), std::string());
    QVERIFY(!contains(vltune::describe(vltune::runtime_info()), "switches"));
    for (int i = 0; i < kCount; ++i) {
      const auto s = static_cast<Switch>(i);
      const auto& info = vltune::switch_info(s);
      vltune::set_switch(s, !info.fallback);
      QCOMPARE(vltune::switch_on(s), !info.fallback);
      const std::string expected = std::string(info.name) + (info.fallback ? "=0" : "=1");
      QCOMPARE(vltune::switches_changed(), expected);
      QVERIFY(contains(vltune::describe(vltune::runtime_info()), ", switches: " + expected));
      vltune::set_switch(s, info.fallback);
    }
    QCOMPARE(vltune::switches_changed(), std::string());
  }
};

QTEST_APPLESS_MAIN(TestEnvSwitch)
#include "test_env_switch.moc"
