#pragma once
// One training sample -> input_ids and labels, as LLaMA-Factory's SupervisedDatasetProcessor
// builds them (src/llamafactory/data/processor/supervised.py): images expanded in the text, every
// (prompt, response) pair encoded by the template, each pair cut to what is left of cutoff_len by
// infer_seqlen, prompts labelled IGNORE_INDEX unless train_on_prompt, responses (their EOS
// included) labelled with their ids.
//
// One deliberate difference: LLaMA-Factory slices the ids wherever infer_seqlen says, which can
// cut through an image's tokens (its newest version then drops the sample). Here an image block
// is never cut: the cut moves past the block when the response can give up the tokens, else to
// just before it (the image is then left out, and `images` says which images remain). Every cut
// is reported in `notes`.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/text/chat_template.h"

namespace vltune::text {

// Label of tokens that carry no loss (LLaMA-Factory IGNORE_INDEX, PyTorch's ignore_index).
inline constexpr TokenId kIgnoreIndex = -100;

// LLaMA-Factory's data arguments that shape a supervised sample.
struct SupervisedParams {
  int64_t cutoff_len = 2048;     // longest input_ids kept (`cutoff_len`)
  bool train_on_prompt = false;  // also learn the prompt tokens (`train_on_prompt`)
  bool mask_history = false;     // learn only the last turn; earlier turns are cut first (`mask_history`)
  LlamaFactoryImageParams image; // image pre-resize (`image_max_pixels`, `image_min_pixels`)
};

struct EncodedSample {
  std::vector<TokenId> input_ids;       // the tokens
  std::vector<TokenId> labels;          // per token: its id where it is learned, kIgnoreIndex elsewhere
  std::vector<size_t> images;           // indices into Conversation::images whose blocks are in input_ids, in order
  std::vector<ImageSize> image_sizes;   // per kept image: the size to give the image processor
  std::vector<std::string> notes;       // what truncation cut (which turn, prompt/response, images)
};

// LLaMA-Factory's infer_seqlen (processor_utils.py): the (prompt, response) lengths kept when a
// pair must fit in `cutoff_len`.
std::pair<int64_t, int64_t> infer_seqlen(int64_t source_len, int64_t target_len, int64_t cutoff_len);

// Encodes one sample. `conv.messages` alternate user/assistant and end with the assistant's
// answer. Throws FormatError naming conv.label for a malformed sample (marker/image count
// mismatch, roles out of order).
EncodedSample encode_supervised(const ConversationTemplate& tmpl, const Tokenizer& tokenizer,
                                const ImageLayout& layout, const Conversation& conv,
                                const SupervisedParams& params = {});

}  // namespace vltune::text
