#pragma once
// tokenizer.json "post_processor" for a single sequence: TemplateProcessing (BOS/EOS around $A),
// RobertaProcessing and BertProcessing (CLS ... SEP), ByteLevel (no change to ids), Sequence.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vltune::text {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Adds the special tokens around one encoded sequence.
  virtual std::vector<int32_t> process(std::vector<int32_t> ids) const = 0;
};

// nullptr for null. Throws FormatError naming `where` and the unsupported piece.
std::unique_ptr<PostProcessor> make_post_processor(const nlohmann::json& spec, const std::string& where);

}  // namespace vltune::text
