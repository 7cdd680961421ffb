// Guards the LibTorch + sentencepiece link-order fix (scripts/cmake/VltuneProtobufFirst.cmake).
// Without the fix this executable segfaults before main(), so merely starting is the first check;
// the second reads our own ELF dynamic section and checks libprotobuf is the first DT_NEEDED.

#include <elf.h>
#include <link.h>

#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <QtTest/QtTest>
#include <sentencepiece_processor.h>

namespace {

// DT_NEEDED names of the running executable, in link order.
std::vector<std::string> needed_libraries() {
  std::vector<std::string> out;
  const ElfW(Dyn)* strtab_entry = nullptr;
  const char* strtab = nullptr;
  for (const ElfW(Dyn)* d = _DYNAMIC; d->d_tag != DT_NULL; ++d)
    if (d->d_tag == DT_STRTAB) strtab_entry = d;
  if (!strtab_entry) return out;
  strtab = reinterpret_cast<const char*>(strtab_entry->d_un.d_ptr);
  for (const ElfW(Dyn)* d = _DYNAMIC; d->d_tag != DT_NULL; ++d)
    if (d->d_tag == DT_NEEDED) out.emplace_back(strtab + d->d_un.d_val);
  return out;
}

}  // namespace

class TestLinkOrder : public QObject {
  Q_OBJECT

 private slots:
  void torchAndSentencepieceBothWork() {
    // Both libraries really used in one process: a torch op and a sentencepiece object.
    at::Tensor t = at::arange(6, at::kFloat).reshape({2, 3});
    QCOMPARE(t.sum().item<float>(), 15.0f);
    sentencepiece::SentencePieceProcessor processor;
    const auto status = processor.LoadFromSerializedProto("not a model");
    QVERIFY(!status.ok());  // a clean error, not a crash inside protobuf
  }

  void protobufIsFirstNeededLibrary() {
    if (!VLTUNE_PROTOBUF_FIRST) QSKIP("this LibTorch has no shared libprotobuf to put first");
    const auto needed = needed_libraries();
    QVERIFY(!needed.empty());
    QVERIFY2(needed.front().rfind("libprotobuf.so", 0) == 0,
             ("first DT_NEEDED is " + needed.front()).c_str());
  }
};

QTEST_APPLESS_MAIN(TestLinkOrder)
#include "test_link_order.moc"
