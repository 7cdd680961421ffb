#include "core/text/pairwise_encoding.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "core/text/image_spans.h"

namespace vltune::text {

std::vector<TokenId> encode_rejected_answer(const ConversationTemplate& tmpl, const Tokenizer& tokenizer,
                                            const PreparedMessages& prepared, std::string_view rejected,
                                            std::string_view system, const std::string& label) {
  const size_t last = prepared.messages.size() - 1;
  if (prepared.images_in_message[last] > 0 || count_markers(rejected) > 0)
    throw FormatError(label + ": an answer of a preference pair holds an <image> marker; answers are text, images go in the prompt");
  return encode_message(tmpl, tokenizer, Message{Role::assistant, std::string(rejected)}, last, prepared.image_first[last], system);
}

EncodedPair encode_pairwise(const ConversationTemplate& tmpl, const Tokenizer& tokenizer, const ImageLayout& layout,
                            const Conversation& chosen, std::string_view rejected, const SupervisedParams& params) {
  const std::string& label = chosen.label;
  if (params.cutoff_len <= 0)
    throw Error(label + ": cutoff_len should be positive, got " + std::to_string(params.cutoff_len));
  check_alternating(chosen.messages, label, /*end_with_assistant=*/true);

  const PreparedMessages prepared = prepare_messages(tmpl, layout, chosen, params.image);
  std::vector<TokenId> answer_other = encode_rejected_answer(tmpl, tokenizer, prepared, rejected, chosen.system, label);
  const auto encoded = encode_messages(tmpl, tokenizer, prepared, chosen.system);
  const auto spans = locate_image_spans(tokenizer, prepared, encoded, label);

  // The prompt: every message but the answer (LLaMA-Factory's encode_oneturn), image blocks placed.
  std::vector<TokenId> prompt;
  std::vector<ImageSpan> prompt_spans;
  for (size_t m = 0; m + 1 < encoded.size(); ++m) {
    for (ImageSpan span : spans[m]) {
      span.begin += prompt.size();
      span.end += prompt.size();
      prompt_spans.push_back(span);
    }
    prompt.insert(prompt.end(), encoded[m].begin(), encoded[m].end());
  }
  std::vector<TokenId> answer = encoded.back();
  if (tmpl.efficient_eos) {
    const TokenId eos = template_eos_id(tmpl, tokenizer);
    answer.push_back(eos);
    answer_other.push_back(eos);
  }

  // The answer is worth more than the prompt: infer_seqlen on the longer answer, both cut alike.
  const auto longer = static_cast<int64_t>(std::max(answer.size(), answer_other.size()));
  auto [s, t] = infer_seqlen(static_cast<int64_t>(prompt.size()), longer, params.cutoff_len);
  EncodedPair out;
  s = cut_before_image(prompt_spans, s);
  const std::string cutoff = " (cutoff_len " + std::to_string(params.cutoff_len) + ")";
  if (s < static_cast<int64_t>(prompt.size()))
    out.notes.push_back("prompt cut from " + std::to_string(prompt.size()) + " to " + std::to_string(s) + " tokens" + cutoff);
  for (const auto& [name, ids] : {std::pair{"chosen", &answer}, std::pair{"rejected", &answer_other}})
    if (t < static_cast<int64_t>(ids->size()))
      out.notes.push_back(std::string(name) + " answer cut from " + std::to_string(ids->size()) + " to " +
                          std::to_string(std::min<int64_t>(t, static_cast<int64_t>(ids->size()))) + " tokens" + cutoff);
  for (const ImageSpan& span : prompt_spans) {
    if (static_cast<int64_t>(span.end) <= s) {
      out.images.push_back(span.image);
      out.image_sizes.push_back(prepared.image_sizes[span.image]);
    } else {
      out.notes.push_back("image " + std::to_string(span.image) + " left out: its tokens do not fit" + cutoff);
    }
  }

  const auto build = [&](const std::vector<TokenId>& reply, std::vector<TokenId>& ids, std::vector<TokenId>& labels) {
    const auto kept = static_cast<std::ptrdiff_t>(std::min<int64_t>(t, static_cast<int64_t>(reply.size())));
    ids.assign(prompt.begin(), prompt.begin() + s);
    labels.assign(static_cast<size_t>(s), kIgnoreIndex);
    ids.insert(ids.end(), reply.begin(), reply.begin() + kept);
    labels.insert(labels.end(), reply.begin(), reply.begin() + kept);
  };
  build(answer, out.chosen_ids, out.chosen_labels);
  build(answer_other, out.rejected_ids, out.rejected_labels);
  return out;
}

}  // namespace vltune::text
