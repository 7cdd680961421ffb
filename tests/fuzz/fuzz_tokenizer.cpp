// libFuzzer harness for the tokenizer.json pipeline: any bytes are either rejected (FormatError,
// e.g. invalid UTF-8) or encoded; what is encoded decodes to valid UTF-8, streaming decode gives
// the same text, and nothing crashes, hangs or trips a sanitizer. The tokenizer has every stage a
// real checkpoint uses: NFC, the Qwen split regex, ByteLevel, added tokens with lstrip / rstrip /
// single_word, byte fallback. Run: tests/fuzz/run_fuzzers.sh
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/text/decode_stream.h"
#include "core/text/hf_tokenizer.h"
#include "core/text/utf8.h"

namespace {

const vltune::text::HfTokenizer& tokenizer() {
  static const vltune::text::HfTokenizer t = [] {
    nlohmann::json vocab = nlohmann::json::object();
    // Every byte-level character, then a few merges' results.
    int id = 0;
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      vocab[name] = id++;
    }
    const char* alphabet[] = {"a", "b", "c", "\xC4\xA0", "ab", "\xC4\xA0" "a", "abc", "\xC4\xA0" "ab"};
    for (const char* s : alphabet) vocab[s] = id++;
    nlohmann::json spec = {
        {"normalizer", {{"type", "NFC"}}},
        {"pre_tokenizer",
         {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "Split"},
             {"pattern", {{"Regex", R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"}}},
             {"behavior", "Isolated"},
             {"invert", false}},
            {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}}},
        {"model",
         {{"type", "BPE"},
          {"vocab", vocab},
          {"merges", {"a b", "\xC4\xA0 a", "ab c", "\xC4\xA0 ab"}},
          {"byte_fallback", true}}},
        {"decoder", {{"type", "ByteLevel"}}},
        {"added_tokens",
         {{{"id", id}, {"content", "<|im_start|>"}, {"special", true}, {"normalized", false}},
          {{"id", id + 1}, {"content", "<mask>"}, {"special", false}, {"lstrip", true}, {"rstrip", true},
           {"single_word", true}, {"normalized", true}}}}};
    return vltune::text::HfTokenizer(spec, "fuzz.json");
  }();
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<int32_t> ids;
  try {
    ids = tokenizer().encode(text, true);
  } catch (const vltune::FormatError&) {
    if (vltune::text::utf8::is_valid(text)) __builtin_trap();  // only invalid UTF-8 is refused
    return 0;
  }
  const std::string decoded = tokenizer().decode(ids, false);
  if (!vltune::text::utf8::is_valid(decoded)) __builtin_trap();
  vltune::text::DecodeStream stream(tokenizer(), false);
  std::string streamed;
  for (int32_t id : ids) streamed += stream.push(id);
  streamed += stream.finish();
  if (!vltune::text::utf8::is_valid(streamed)) __builtin_trap();
  return 0;
}
