// vltune-bench-tokenizer: single-thread encode throughput of a tokenizer on a text corpus, in MB/s,
// whole text in one call and line by line. Prints one JSON object per mode, with the token count
// and a digest of the ids, so the peer's run (peer_tokenizers.mjs) can be checked to have produced
// the very same ids.
//   vltune-bench-tokenizer --tokenizer <file|folder> --corpus <text file> [--repeat N]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/text/tokenizer.h"

namespace {

struct Result {
  double seconds = 0;   // best of the repeats
  size_t tokens = 0;    // ids produced
  uint32_t digest = 0;  // FNV-1a over the ids, to compare with the peer's ids
};

// FNV-1a over 32-bit ids, continued from `h` (the peer script computes the same).
uint32_t fnv(uint32_t h, const std::vector<int32_t>& ids) {
  for (int32_t id : ids) {
    h ^= static_cast<uint32_t>(id);
    h *= 16777619u;
  }
  return h;
}
constexpr uint32_t kFnvBasis = 2166136261u;

// `run` returns (tokens, digest); the digest is computed outside the timed region by the caller's
// second pass, so timing covers encoding only.
template <typename F>
Result best_of(int repeat, F&& run) {
  Result best{1e300, 0, 0};
  for (int i = 0; i < repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const size_t tokens = run(nullptr);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (s < best.seconds) best = {s, tokens, 0};
  }
  run(&best.digest);
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::string tokenizer_path, corpus_path;
  int repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    if (key == "--tokenizer") tokenizer_path = argv[i + 1];
    else if (key == "--corpus") corpus_path = argv[i + 1];
    else if (key == "--repeat") repeat = std::max(1, std::stoi(argv[i + 1]));
  }
  if (tokenizer_path.empty() || corpus_path.empty()) {
    std::fputs("usage: vltune-bench-tokenizer --tokenizer <file|folder> --corpus <text file> [--repeat N]\n", stderr);
    return 2;
  }
  try {
    std::ifstream in(corpus_path, std::ios::binary);
    if (!in) throw vltune::FileError(corpus_path + ": cannot be read");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> lines;
    for (size_t pos = 0; pos < text.size();) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      lines.emplace_back(text, pos, end - pos);
      pos = end + 1;
    }
    const auto tokenizer = vltune::text::load_tokenizer(tokenizer_path);
    const double mb = static_cast<double>(text.size()) / 1e6;
    // The first pass of each mode warms the word cache like any long-running process would; the
    // best of `repeat` runs is reported, as for the peer.
    const Result whole = best_of(repeat, [&](uint32_t* digest) {
      const auto ids = tokenizer->encode(text, false);
      if (digest) *digest = fnv(kFnvBasis, ids);
      return ids.size();
    });
    const Result by_line = best_of(repeat, [&](uint32_t* digest) {
      size_t n = 0;
      if (digest) *digest = kFnvBasis;
      for (const std::string& line : lines) {
        const auto ids = tokenizer->encode(line, false);
        n += ids.size();
        if (digest) *digest = fnv(*digest, ids);
      }
      return n;
    });
    for (const auto& [mode, r] : {std::pair{"whole", whole}, std::pair{"lines", by_line}})
      std::printf("{\"impl\": \"vltune\", \"mode\": \"%s\", \"bytes\": %zu, \"tokens\": %zu, \"ids_fnv\": %u, "
                  "\"seconds\": %.4f, \"mb_per_s\": %.3f}\n",
                  mode, text.size(), r.tokens, r.digest, r.seconds, mb / r.seconds);
  } catch (const vltune::Error& e) {
    std::fprintf(stderr, "vltune-bench-tokenizer: %s\n", e.what());
    return 1;
  }
  return 0;
}
