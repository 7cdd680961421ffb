#pragma once
// tokenizer.json "normalizer": NFC/NFD/NFKC/NFKD, Lowercase, Prepend, Replace (string or regex),
// Strip, Sequence (and null: none).

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace vltune::text {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // The normalized form of `text` (valid UTF-8).
  virtual std::string normalize(std::string text) const = 0;
};

// Builds the normalizer a tokenizer.json describes; nullptr for null. Throws FormatError naming
// `where` and the unsupported type, e.g. `normalizer type "BertNormalizer" is not supported`.
std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& spec, const std::string& where);

}  // namespace vltune::text
