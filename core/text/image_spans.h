#pragma once
// Where each image's block of tokens lies in the ids of the messages that hold it, so that
// truncation (supervised and pairwise encoding) can cut around a block instead of through it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/text/chat_template.h"

namespace vltune::text {

// One image's block in one message's ids.
struct ImageSpan {
  size_t begin = 0;  // first token of the block
  size_t end = 0;    // one past its last token
  size_t image = 0;  // index into the conversation's images
};

// Per message of `encoded` (encode_messages of `prepared`), its images' blocks, left to right.
// Throws FormatError naming `label` when a block's tokens are not found in its message.
std::vector<std::vector<ImageSpan>> locate_image_spans(const Tokenizer& tokenizer, const PreparedMessages& prepared,
                                                       const std::vector<std::vector<TokenId>>& encoded,
                                                       const std::string& label);

// A cut at `len` tokens moved out of any of `spans` it would fall inside: to that block's start.
int64_t cut_before_image(const std::vector<ImageSpan>& spans, int64_t len);

}  // namespace vltune::text
