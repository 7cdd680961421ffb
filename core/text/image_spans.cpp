#include "core/text/image_spans.h"

#include <algorithm>

#include "core/error.h"

namespace vltune::text {

// Blocks start and end with added tokens, so the message's tokenization holds them unchanged.
std::vector<std::vector<ImageSpan>> locate_image_spans(const Tokenizer& tokenizer, const PreparedMessages& prepared,
                                                       const std::vector<std::vector<TokenId>>& encoded,
                                                       const std::string& label) {
  std::vector<std::vector<ImageSpan>> spans(encoded.size());
  size_t image = 0;
  for (size_t m = 0; m < encoded.size(); ++m) {
    auto from = encoded[m].begin();
    for (size_t j = 0; j < prepared.images_in_message[m]; ++j, ++image) {
      std::vector<TokenId> block = tokenizer.encode(prepared.image_blocks[image], /*add_special=*/false);
      // Blocks begin and end with special tokens; anything a vocabulary puts around them when
      // the block is encoded alone (SentencePiece's "▁" word start) is not part of the block.
      auto first = std::find_if(block.begin(), block.end(), [&](TokenId id) { return tokenizer.is_special(id); });
      auto last = std::find_if(block.rbegin(), block.rend(), [&](TokenId id) { return tokenizer.is_special(id); });
      if (first != block.end()) block = std::vector<TokenId>(first, last.base());
      const auto at = std::search(from, encoded[m].end(), block.begin(), block.end());
      if (block.empty() || at == encoded[m].end())
        throw FormatError(label + ": the tokens of image " + std::to_string(image) + " were not found in message " +
                          std::to_string(m) + " (does its text hold image tokens of its own?)");
      const size_t begin = static_cast<size_t>(at - encoded[m].begin());
      spans[m].push_back({begin, begin + block.size(), image});
      from = at + static_cast<std::ptrdiff_t>(block.size());
    }
  }
  return spans;
}

int64_t cut_before_image(const std::vector<ImageSpan>& spans, int64_t len) {
  for (const ImageSpan& s : spans)
    if (static_cast<int64_t>(s.begin) < len && len < static_cast<int64_t>(s.end)) return static_cast<int64_t>(s.begin);
  return len;
}

}  // namespace vltune::text
