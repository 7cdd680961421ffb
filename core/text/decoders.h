#pragma once
// tokenizer.json "decoder": ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, BPEDecoder
// (end-of-word suffix), Sequence (and null: tokens joined by spaces).

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vltune::text {

class TokenDecoder {
 public:
  virtual ~TokenDecoder() = default;
  // Rewrites the token strings in place (tokenizers' decode_chain); the text is their concatenation.
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// Builds the decoder a tokenizer.json describes; nullptr for null. Throws FormatError naming
// `where` and the unsupported type.
std::unique_ptr<TokenDecoder> make_decoder(const nlohmann::json& spec, const std::string& where);

}  // namespace vltune::text
