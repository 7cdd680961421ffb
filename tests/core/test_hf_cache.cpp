// The huggingface_hub cache: the root rule (HF_HUB_CACHE > HF_HOME > XDG_CACHE_HOME > ~/.cache),
// listing a fake cache tree (refs/main -> snapshot -> symlinks into blobs) with family, dtype and
// size, and the layout helpers that add files so Python tools see them.

#include <cstdlib>
#include <fstream>

#include <QtTest/QtTest>

#include "core/data/sha256.h"
#include "core/io/hf_cache.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using vltune::io::ModelFamily;

namespace {

void write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// Adds `file` with `bytes` to the repo as the downloader does: blob named by its sha256, link.
void add_file(const fs::path& repo, const std::string& commit, const std::string& file,
              const std::string& bytes) {
  const std::string hash = vltune::data::sha256_hex(bytes);
  write(vltune::io::blob_path(repo, hash), bytes);
  vltune::io::link_snapshot_file(repo, commit, file, hash);
}

// Restores an environment variable when the test ends.
struct EnvGuard {
  std::string name;
  std::optional<std::string> old;
  explicit EnvGuard(std::string n) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
  }
  ~EnvGuard() {
    if (old)
      setenv(name.c_str(), old->c_str(), 1);
    else
      unsetenv(name.c_str());
  }
};

}  // namespace

class TestHfCache : public QObject {
  Q_OBJECT

 private slots:
  void cacheRootFollowsHuggingfaceHub() {
    EnvGuard a("HF_HUB_CACHE"), b("HF_HOME"), c("XDG_CACHE_HOME"), d("HOME");
    setenv("HOME", "/home/u", 1);
    unsetenv("HF_HUB_CACHE");
    unsetenv("HF_HOME");
    unsetenv("XDG_CACHE_HOME");
    QCOMPARE(vltune::io::hf_hub_cache_root(), fs::path("/home/u/.cache/huggingface/hub"));
    setenv("XDG_CACHE_HOME", "/xdg", 1);
    QCOMPARE(vltune::io::hf_hub_cache_root(), fs::path("/xdg/huggingface/hub"));
    setenv("HF_HOME", "/hfhome", 1);
    QCOMPARE(vltune::io::hf_hub_cache_root(), fs::path("/hfhome/hub"));
    setenv("HF_HUB_CACHE", "/hubcache", 1);
    QCOMPARE(vltune::io::hf_hub_cache_root(), fs::path("/hubcache"));
  }

  void layoutMatchesHuggingfaceHub() {
    vltune::test::TempDir dir;
    const fs::path repo = vltune::io::repo_cache_dir(dir.path(), "HuggingFaceTB/SmolVLM-256M-Instruct");
    QCOMPARE(repo.filename().string(), std::string("models--HuggingFaceTB--SmolVLM-256M-Instruct"));
    add_file(repo, "abc123", "config.json", R"({"model_type": "clip"})");
    add_file(repo, "abc123", "sub/dir/extra.json", "{}");
    vltune::io::write_ref(repo, "main", "abc123");

    // Relative links, one more "../" per nesting level, so the cache can move.
    const fs::path link = repo / "snapshots/abc123/config.json";
    QVERIFY(fs::is_symlink(link));
    const std::string hash = vltune::data::sha256_hex(R"({"model_type": "clip"})");
    QCOMPARE(fs::read_symlink(link), fs::path("../../blobs") / hash);
    QCOMPARE(fs::read_symlink(repo / "snapshots/abc123/sub/dir/extra.json"),
             fs::path("../../../../blobs") / vltune::data::sha256_hex("{}"));
    std::ifstream in(link);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    QCOMPARE(text, std::string(R"({"model_type": "clip"})"));

    // refs/main holds exactly the commit (huggingface_hub reads it without stripping).
    std::ifstream ref(repo / "refs/main");
    std::string refText((std::istreambuf_iterator<char>(ref)), {});
    QCOMPARE(refText, std::string("abc123"));
    QCOMPARE(vltune::io::read_ref(repo, "main").value_or(""), std::string("abc123"));
    QVERIFY(!vltune::io::read_ref(repo, "other"));

    // Linking again (a re-download) replaces the link instead of failing.
    add_file(repo, "abc123", "config.json", R"({"model_type": "clip", "x": 1})");
    std::ifstream again(link);
    std::string newText((std::istreambuf_iterator<char>(again)), {});
    QCOMPARE(newText, std::string(R"({"model_type": "clip", "x": 1})"));
  }

  void listsCachedModelsWithFamilySizeDtype() {
    vltune::test::TempDir dir;
    const fs::path root = dir.path();
    // A CLIP repo: two snapshots, refs/main names the older one; a weight file shared by both.
    const fs::path clip = vltune::io::repo_cache_dir(root, "openai/clip-vit-base-patch32");
    const std::string weights(1000, 'w');
    add_file(clip, "old", "config.json", R"({"model_type": "clip", "torch_dtype": "float32"})");
    add_file(clip, "old", "model.safetensors", weights);
    add_file(clip, "new", "config.json", R"({"model_type": "clip", "torch_dtype": "float16"})");
    add_file(clip, "new", "model.safetensors", weights);
    vltune::io::write_ref(clip, "main", "old");
    // A Qwen2-VL repo without refs (e.g. downloaded by revision): its only snapshot is used.
    const fs::path qwen = vltune::io::repo_cache_dir(root, "Qwen/Qwen2-VL-2B-Instruct");
    add_file(qwen, "c0ffee", "config.json", R"({"model_type": "qwen2_vl", "dtype": "bfloat16"})");
    // A family vltune does not train is listed with the reason, not dropped.
    const fs::path bert = vltune::io::repo_cache_dir(root, "google-bert/bert-base-uncased");
    add_file(bert, "b1", "config.json", R"({"model_type": "bert"})");
    // Not models: a dataset repo and a repo with no config.json.
    add_file(vltune::io::repo_cache_dir(root, "x/y").parent_path() / "datasets--x--y", "d", "config.json", "{}");
    add_file(vltune::io::repo_cache_dir(root, "empty/repo"), "e", "README.md", "hi");

    const auto models = vltune::io::list_cached_models(root);
    QCOMPARE(models.size(), size_t{3});
    QCOMPARE(models[0].repo_id, std::string("Qwen/Qwen2-VL-2B-Instruct"));
    QCOMPARE(models[1].repo_id, std::string("google-bert/bert-base-uncased"));
    QCOMPARE(models[2].repo_id, std::string("openai/clip-vit-base-patch32"));

    QVERIFY(models[0].family == ModelFamily::qwen2_vl);
    QCOMPARE(models[0].dtype, std::string("bfloat16"));
    QCOMPARE(models[0].commit, std::string("c0ffee"));

    QVERIFY(!models[1].family);
    QCOMPARE(models[1].model_type, std::string("bert"));
    QVERIFY(models[1].problem.find("bert") != std::string::npos);

    const auto& c = models[2];
    QVERIFY(c.family == ModelFamily::clip);
    QCOMPARE(c.commit, std::string("old"));  // refs/main wins over the newer snapshot
    QCOMPARE(c.dtype, std::string("float32"));
    QCOMPARE(c.path, vltune::io::snapshot_dir(clip, "old"));
    const auto configSize = std::string(R"({"model_type": "clip", "torch_dtype": "float32"})").size();
    QCOMPARE(c.size_bytes, uint64_t(weights.size() + configSize));
  }

  void missingRootListsNothing() {
    QVERIFY(vltune::io::list_cached_models("/nonexistent/hub").empty());
  }

  void plainFolderIsDescribed() {
    vltune::test::TempDir dir;
    write(dir.path() / "mymodel/config.json", R"({"model_type": "llava", "torch_dtype": "float16"})");
    write(dir.path() / "mymodel/model.safetensors", std::string(10, 'x'));
    const auto m = vltune::io::describe_model_folder(dir.path() / "mymodel");
    QCOMPARE(m.repo_id, std::string("mymodel"));
    QVERIFY(m.family == ModelFamily::llava);
    QCOMPARE(m.dtype, std::string("float16"));
    QVERIFY(m.size_bytes > 10);
    QVERIFY(m.problem.empty());
  }
};

QTEST_GUILESS_MAIN(TestHfCache)
#include "test_hf_cache.moc"
