// The memory probes and allocator settings of core/train/memory_usage.h that a CPU build can
// check: the resident-set figures, CUDA-only calls answering "nothing" on the CPU, and the
// expandable-segments request, which must leave a user's own PYTORCH_CUDA_ALLOC_CONF alone and
// set nothing on a LibTorch that doesn't know the option (before 2.1).

// LibTorch and the engine before Qt: Qt's `slots` macro would break torch's headers.
#include "core/torch_compat.h"
#include "core/train/memory_usage.h"

#include <cstdlib>
#include <cstring>
#include <vector>

#include <QtTest/QtTest>

namespace {

constexpr const char* kVariable = "PYTORCH_CUDA_ALLOC_CONF";

}  // namespace

class TestMemoryUsage : public QObject {
  Q_OBJECT

 private slots:
  void init() { ::unsetenv(kVariable); }
  void cleanup() { ::unsetenv(kVariable); }
  void expandableSegmentsWhenUnset();
  void usersSettingWins();
  void usersEmptySettingWins();
  void residentMemory();
  void cudaOnlyCallsOnTheCpu();
};

void TestMemoryUsage::expandableSegmentsWhenUnset() {
  const bool asked = vltune::train::prefer_expandable_cuda_segments();
  const char* now = std::getenv(kVariable);
#if VLTUNE_TORCH_AT_LEAST(2, 1)
  QVERIFY(asked);
  QVERIFY(now != nullptr);
  QCOMPARE(QByteArray(now), QByteArray("expandable_segments:True"));
#else
  // LibTorch 1.13's allocator rejects options it doesn't know: nothing may be set.
  QVERIFY(!asked);
  QVERIFY(now == nullptr);
#endif
  // A second call changes nothing.
  QCOMPARE(vltune::train::prefer_expandable_cuda_segments(), asked);
}

void TestMemoryUsage::usersSettingWins() {
  ::setenv(kVariable, "max_split_size_mb:128", 1);
  QVERIFY(!vltune::train::prefer_expandable_cuda_segments());
  QCOMPARE(QByteArray(std::getenv(kVariable)), QByteArray("max_split_size_mb:128"));
  // One that already asks for expandable segments is reported as such, untouched.
  ::setenv(kVariable, "max_split_size_mb:64,expandable_segments:True", 1);
  QVERIFY(vltune::train::prefer_expandable_cuda_segments());
  QCOMPARE(QByteArray(std::getenv(kVariable)), QByteArray("max_split_size_mb:64,expandable_segments:True"));
}

void TestMemoryUsage::usersEmptySettingWins() {
  ::setenv(kVariable, "", 1);
  QVERIFY(!vltune::train::prefer_expandable_cuda_segments());
  QCOMPARE(QByteArray(std::getenv(kVariable)), QByteArray());
}

void TestMemoryUsage::residentMemory() {
  const int64_t before = vltune::train::process_resident_bytes();
  QVERIFY(before > 0);
  // 64 MiB touched page by page shows up in the resident set and in the peak.
  std::vector<char> block(size_t{64} << 20);
  volatile char* pages = block.data();  // volatile: the writes may not be elided
  for (size_t i = 0; i < block.size(); i += 4096) pages[i] = 1;
  const int64_t after = vltune::train::process_resident_bytes();
  QVERIFY2(after - before >= (int64_t{60} << 20), qPrintable(QString("resident %1 -> %2 bytes").arg(before).arg(after)));
  const c10::Device cpu(c10::kCPU);
  QVERIFY(std::llabs(vltune::train::device_memory_bytes(cpu) - vltune::train::process_resident_bytes()) < (int64_t{4} << 20));
  QVERIFY(vltune::train::device_peak_memory_bytes(cpu) >= after);
}

void TestMemoryUsage::cudaOnlyCallsOnTheCpu() {
  const c10::Device cpu(c10::kCPU);
  QCOMPARE(vltune::train::device_peak_reserved_bytes(cpu), int64_t{-1});
  QVERIFY(!vltune::train::set_device_memory_fraction(cpu, 0.5));
}

QTEST_GUILESS_MAIN(TestMemoryUsage)
#include "test_memory_usage.moc"
