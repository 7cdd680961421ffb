#pragma once
// One preference pair -> two training sequences, as LLaMA-Factory's PairwiseDatasetProcessor
// builds them (src/llamafactory/data/processor/pairwise.py): the conversation up to the last user
// turn is the prompt (every earlier answer in it, unlabelled), each answer is encoded after it
// (the template's EOS appended for efficient-EOS templates), then the prompt and the longer answer
// are cut to cutoff_len by infer_seqlen and both answers to the same length; only the answers are
// labelled. train_on_prompt and mask_history do not apply, as in LLaMA-Factory.
//
// The one difference, as in supervised_encoding.h: a cut that would fall inside an image's block
// of tokens moves to before the block (the image is then left out), and every cut is reported.

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/text/chat_template.h"
#include "core/text/supervised_encoding.h"

namespace vltune::text {

struct EncodedPair {
  std::vector<TokenId> chosen_ids;       // prompt + chosen answer
  std::vector<TokenId> chosen_labels;    // kIgnoreIndex on the prompt, the ids on the answer
  std::vector<TokenId> rejected_ids;     // the same prompt + rejected answer
  std::vector<TokenId> rejected_labels;  // kIgnoreIndex on the prompt, the ids on the answer
  std::vector<size_t> images;            // indices into Conversation::images whose blocks are kept (both sequences hold the same)
  std::vector<ImageSize> image_sizes;    // per kept image: the size to give the image processor
  std::vector<std::string> notes;        // what truncation cut
};

// Encodes one pair: `chosen` is the conversation ending with the chosen answer (messages alternate
// user/assistant), `rejected` the other answer to its last user turn. Throws FormatError naming
// chosen.label for a malformed conversation, or answers that hold images.
EncodedPair encode_pairwise(const ConversationTemplate& tmpl, const Tokenizer& tokenizer, const ImageLayout& layout,
                            const Conversation& chosen, std::string_view rejected, const SupervisedParams& params = {});

// The ids of the `rejected` answer in the place of the chosen one, the last of `prepared`
// (prepare_messages of the conversation ending with the chosen answer), formatted as
// encode_messages() formats that message; the rest is not encoded again. Throws FormatError
// naming `label` when either answer holds an `<image>` marker (answers are text).
std::vector<TokenId> encode_rejected_answer(const ConversationTemplate& tmpl, const Tokenizer& tokenizer,
                                            const PreparedMessages& prepared, std::string_view rejected,
                                            std::string_view system, const std::string& label);

}  // namespace vltune::text
