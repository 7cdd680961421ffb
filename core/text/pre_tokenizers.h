#pragma once
// tokenizer.json "pre_tokenizer": Split (every behavior, invert), ByteLevel (with and without its
// regex), Digits, Metaspace, Whitespace, WhitespaceSplit, Sequence (and null: none).

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vltune::text {

// One piece of text on its way to the model.
struct PreToken {
  std::string text;       // UTF-8 (after ByteLevel: the byte-level characters)
  bool at_start = false;  // begins at offset 0 of the input (Metaspace's prepend_scheme "first")
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Splits and rewrites `pieces` in place; empty pieces are dropped.
  virtual void pre_tokenize(std::vector<PreToken>& pieces) const = 0;
};

// How Split treats the spans its pattern matches (tokenizers' SplitDelimiterBehavior).
enum class SplitBehavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

// Builds the pre-tokenizer a tokenizer.json describes; nullptr for null. Throws FormatError
// naming `where` and the unsupported piece, e.g. `pre_tokenizer type "BertPreTokenizer" is not
// supported`.
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& spec, const std::string& where);

}  // namespace vltune::text
