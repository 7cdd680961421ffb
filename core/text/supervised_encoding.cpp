#include "core/text/supervised_encoding.h"

#include <algorithm>

#include "core/error.h"
#include "core/text/image_spans.h"

namespace vltune::text {

namespace {


std::string turn_name(size_t pair, size_t n_pairs) {
  return "turn " + std::to_string(pair + 1) + " of " + std::to_string(n_pairs);
}

}  // namespace

std::pair<int64_t, int64_t> infer_seqlen(int64_t source_len, int64_t target_len, int64_t cutoff_len) {
  int64_t max_target_len = 0;
  if (target_len * 2 < cutoff_len) {  // truncate source
    max_target_len = cutoff_len;
  } else if (source_len * 2 < cutoff_len) {  // truncate target
    max_target_len = cutoff_len - source_len;
  } else {  // truncate both; Python's int() of the float product
    max_target_len = static_cast<int64_t>(static_cast<double>(cutoff_len) *
                                          (static_cast<double>(target_len) / static_cast<double>(source_len + target_len)));
  }
  const int64_t new_target_len = std::min(max_target_len, target_len);
  const int64_t max_source_len = std::max<int64_t>(cutoff_len - new_target_len, 0);
  const int64_t new_source_len = std::min(max_source_len, source_len);
  return {new_source_len, new_target_len};
}

EncodedSample encode_supervised(const ConversationTemplate& tmpl, const Tokenizer& tokenizer,
                                const ImageLayout& layout, const Conversation& conv, const SupervisedParams& params) {
  const std::string& label = conv.label;
  if (params.cutoff_len <= 0)
    throw Error(label + ": cutoff_len should be positive, got " + std::to_string(params.cutoff_len));
  if (params.train_on_prompt && tmpl.efficient_eos)  // get_template_and_fix_tokenizer refuses it too
    throw Error("template " + tmpl.name + " does not support train_on_prompt (its EOS is learned per turn)");
  check_alternating(conv.messages, label, /*end_with_assistant=*/true);
  const PreparedMessages prepared = prepare_messages(tmpl, layout, conv, params.image);
  const auto encoded = encode_messages(tmpl, tokenizer, prepared, conv.system);
  const auto spans = locate_image_spans(tokenizer, prepared, encoded, label);
  const TokenId eos = tmpl.efficient_eos ? template_eos_id(tmpl, tokenizer) : 0;

  struct Kept {
    std::vector<TokenId> ids, labels;
  };
  const size_t n_pairs = encoded.size() / 2;
  std::vector<Kept> kept(n_pairs);
  std::vector<size_t> images;
  EncodedSample out;

  std::vector<size_t> order(n_pairs);
  for (size_t p = 0; p < n_pairs; ++p) order[p] = params.mask_history ? n_pairs - 1 - p : p;  // last turns first

  int64_t total = tmpl.efficient_eos ? 1 : 0;
  for (size_t turn_idx = 0; turn_idx < n_pairs; ++turn_idx) {
    const size_t p = order[turn_idx];
    const std::vector<TokenId>& source = encoded[2 * p];
    const std::vector<TokenId>& target = encoded[2 * p + 1];
    const std::vector<ImageSpan>& source_spans = spans[2 * p];
    const std::vector<ImageSpan>& target_spans = spans[2 * p + 1];
    if (total >= params.cutoff_len) {
      std::string note = turn_name(p, n_pairs) + ": left out, cutoff_len " + std::to_string(params.cutoff_len) + " reached";
      const size_t n_images = source_spans.size() + target_spans.size();
      if (n_images) note += " (with its " + std::to_string(n_images) + " image(s))";
      out.notes.push_back(note);
      continue;
    }
    auto [s, t] = infer_seqlen(static_cast<int64_t>(source.size()), static_cast<int64_t>(target.size()),
                               params.cutoff_len - total);

    // Never inside an image block: take the rest of the block from the response's share when it
    // keeps at least one response token, else cut before the block.
    for (const ImageSpan& span : source_spans) {
      const auto b = static_cast<int64_t>(span.begin), e = static_cast<int64_t>(span.end);
      if (b < s && s < e) {
        if (t > e - s) {
          out.notes.push_back(turn_name(p, n_pairs) + ": response shortened by " + std::to_string(e - s) +
                              " tokens to keep image " + std::to_string(span.image) + " whole");
          t -= e - s;
          s = e;
        } else {
          s = b;
        }
        break;
      }
    }
    t = cut_before_image(target_spans, t);
    total += s + t;

    if (s < static_cast<int64_t>(source.size()))
      out.notes.push_back(turn_name(p, n_pairs) + ": prompt cut from " + std::to_string(source.size()) + " to " +
                          std::to_string(s) + " tokens (cutoff_len " + std::to_string(params.cutoff_len) + ")");
    if (t < static_cast<int64_t>(target.size()))
      out.notes.push_back(turn_name(p, n_pairs) + ": response cut from " + std::to_string(target.size()) + " to " +
                          std::to_string(t) + " tokens (cutoff_len " + std::to_string(params.cutoff_len) + ")");
    for (const auto& [list, len] : {std::pair{&source_spans, s}, std::pair{&target_spans, t}})
      for (const ImageSpan& span : *list) {
        if (static_cast<int64_t>(span.end) <= len) images.push_back(span.image);
        else out.notes.push_back(turn_name(p, n_pairs) + ": image " + std::to_string(span.image) +
                                 " left out: its tokens do not fit in cutoff_len " + std::to_string(params.cutoff_len));
      }

    Kept& k = kept[p];
    k.ids.assign(source.begin(), source.begin() + s);
    if (params.train_on_prompt) k.labels = k.ids;
    else if (tmpl.efficient_eos && turn_idx != 0 && s > 0) {
      k.labels.assign(static_cast<size_t>(s), kIgnoreIndex);
      k.labels[0] = eos;  // the previous answer's EOS is learned here
    } else k.labels.assign(static_cast<size_t>(s), kIgnoreIndex);
    k.ids.insert(k.ids.end(), target.begin(), target.begin() + t);
    if (params.mask_history && turn_idx != 0) k.labels.insert(k.labels.end(), static_cast<size_t>(t), kIgnoreIndex);
    else k.labels.insert(k.labels.end(), target.begin(), target.begin() + t);
  }

  for (const Kept& k : kept) {  // chronological order, whatever order they were cut in
    out.input_ids.insert(out.input_ids.end(), k.ids.begin(), k.ids.end());
    out.labels.insert(out.labels.end(), k.labels.begin(), k.labels.end());
  }
  if (tmpl.efficient_eos) {
    out.input_ids.push_back(eos);
    out.labels.push_back(eos);
  }
  std::sort(images.begin(), images.end());
  out.images = images;
  for (size_t i : images) out.image_sizes.push_back(prepared.image_sizes[i]);
  return out;
}

}  // namespace vltune::text
