// Guards the LibTorch + sentencepiece isolation (core/CMakeLists.txt, core/text/sentencepiece_abi.h).
//
// Linked together, Debian's LibTorch and libsentencepiece crash before main(); with the usual
// "libprotobuf first" link order the binary starts but sentencepiece aborts on its protobuf
// version check the first time it parses a model. This executable links the engine (LibTorch)
// and uses sentencepiece for real in the same process: training a model, loading it, encoding.
// It also checks, on its own ELF header, that nobody linked libsentencepiece back in directly.

#include <elf.h>
#include <link.h>

#include <fstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include "core/error.h"
#include "core/text/sentencepiece_model.h"
#include "tests/test_support.h"

namespace {

// DT_NEEDED names of the running executable, in link order.
std::vector<std::string> needed_libraries() {
  std::vector<std::string> out;
  const char* strtab = nullptr;
  for (const ElfW(Dyn)* d = _DYNAMIC; d->d_tag != DT_NULL; ++d)
    if (d->d_tag == DT_STRTAB) strtab = reinterpret_cast<const char*>(d->d_un.d_ptr);
  if (!strtab) return out;
  for (const ElfW(Dyn)* d = _DYNAMIC; d->d_tag != DT_NULL; ++d)
    if (d->d_tag == DT_NEEDED) out.emplace_back(strtab + d->d_un.d_val);
  return out;
}

bool any_starts_with(const std::vector<std::string>& names, const std::string& prefix) {
  for (const auto& n : names)
    if (n.rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace

class TestLinkOrder : public QObject {
  Q_OBJECT

 private slots:
  void linksTorchButNotSentencepiece() {
    const auto needed = needed_libraries();
    QVERIFY2(any_starts_with(needed, "libtorch") || any_starts_with(needed, "libc10"),
             "the engine should link LibTorch directly");
    QVERIFY2(!any_starts_with(needed, "libsentencepiece"),
             "libsentencepiece is linked directly: it must only be loaded through "
             "libvltune_sentencepiece (see core/CMakeLists.txt)");
  }

  void torchAndSentencepieceWorkInOneProcess() {
    at::Tensor t = at::arange(6, at::kFloat).reshape({2, 3});
    QCOMPARE(t.sum().item<float>(), 15.0f);

    vltune::test::TempDir dir;
    const auto corpus = dir.path() / "corpus.txt";
    {
      std::ofstream out(corpus);
      for (int i = 0; i < 300; ++i)
        out << "Hello world, this is line " << i << " of a tiny corpus for a tokenizer test.\n";
    }
    const auto prefix = dir.path() / "tiny";
    vltune::text::train_sentencepiece_model("--input=" + corpus.string() + " --model_prefix=" +
                                            prefix.string() +
                                            " --vocab_size=80 --model_type=bpe --minloglevel=2");
    const auto model = vltune::text::SentencePieceModel::load(prefix.string() + ".model");
    QCOMPARE(model.piece_count(), 80);
    const auto ids = model.encode("Hello world");
    QVERIFY(!ids.empty());
    QCOMPARE(model.decode(ids), std::string("Hello world"));
    QCOMPARE(model.piece_to_id(model.id_to_piece(ids.front())), ids.front());

    // LibTorch still fine after sentencepiece ran.
    QCOMPARE(at::ones({3}).sum().item<float>(), 3.0f);
  }

  void badModelFileIsACleanError() {
    vltune::test::TempDir dir;
    const auto path = dir.path() / "tokenizer.model";
    std::ofstream(path) << "this is not a protobuf";
    try {
      vltune::text::SentencePieceModel::load(path);
      QFAIL("no exception");
    } catch (const vltune::FormatError& e) {
      QVERIFY2(std::string(e.what()).find(path.string()) != std::string::npos, e.what());
    }
    QVERIFY_THROWS_EXCEPTION(vltune::FileError,
                             vltune::text::SentencePieceModel::load(dir.path() / "missing.model"));
  }
};

QTEST_APPLESS_MAIN(TestLinkOrder)
#include "test_link_order.moc"
