#pragma once
// Streaming detokenization: text for each new token as soon as it is complete. Never emits half
// a UTF-8 character (byte-fallback and byte-level tokens that end mid-character are held back),
// and keeps a little context so decoders that strip a leading space ("▁Hello" at the start of a
// text) do not eat the spaces between streamed tokens. Same algorithm as tokenizers' DecodeStream.

#include <string>
#include <vector>

#include "core/text/tokenizer.h"

namespace vltune::text {

class DecodeStream {
 public:
  // `tokenizer` must outlive the stream.
  explicit DecodeStream(const Tokenizer& tokenizer, bool skip_special = true);

  // The new text `id` completes; empty while a character is still incomplete.
  std::string push(TokenId id);
  // Whatever is still held back (an incomplete character at the very end becomes U+FFFD).
  std::string finish();

 private:
  const Tokenizer& m_tokenizer;
  bool m_skip_special;
  std::vector<TokenId> m_ids;  // tokens since the last emitted prefix
  std::string m_prefix;        // decode of m_ids[0, m_prefix_index)
  size_t m_prefix_index = 0;   // how many of m_ids are context already emitted
};

}  // namespace vltune::text
