#include "core/data/preview.h"

#include <stdexcept>

#include "core/error.h"

namespace vltune::data {

namespace {

// Repeats of one special token shorter than this are shown token by token.
constexpr size_t kCollapseRun = 4;

// Decodes ids, writing a long run of one special token once with its count: an image is hundreds
// of identical placeholder tokens that would bury the text around it.
std::string render_ids(const text::Tokenizer& tokenizer, std::span<const text::TokenId> ids) {
  std::string out;
  size_t start = 0;  // first id not yet written
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j < ids.size() && ids[j] == ids[i]) ++j;
    if (j - i >= kCollapseRun && tokenizer.is_special(ids[i])) {
      out += tokenizer.decode(ids.subspan(start, i - start));
      out += tokenizer.id_to_token(ids[i]).value_or("?") + "\u00d7" + std::to_string(j - i);
      start = j;
    }
    i = j;
  }
  out += tokenizer.decode(ids.subspan(start));
  return out;
}

}  // namespace

SamplePreview preview_sample(const Dataset& dataset, size_t index, const ValidationParams& params) {
  if (index >= dataset.records.size())
    throw std::out_of_range("sample " + std::to_string(index) + " of a dataset of " +
                            std::to_string(dataset.records.size()));
  SamplePreview preview;
  preview.record = dataset.records[index];
  if (params.tmpl == nullptr || params.tokenizer == nullptr) return preview;

  text::EncodedSample encoded;
  try {
    encoded = text::encode_supervised(*params.tmpl, *params.tokenizer, params.layout, to_conversation(preview.record),
                                      params.supervised);
  } catch (const Error& e) {
    preview.error = e.what();
    return preview;
  }
  preview.tokens = static_cast<int64_t>(encoded.input_ids.size());
  preview.notes = std::move(encoded.notes);
  const std::span<const text::TokenId> ids(encoded.input_ids);
  for (size_t i = 0; i < ids.size();) {
    const bool learned = encoded.labels[i] != text::kIgnoreIndex;
    size_t j = i;
    while (j < ids.size() && (encoded.labels[j] != text::kIgnoreIndex) == learned) ++j;
    preview.prompt.push_back({render_ids(*params.tokenizer, ids.subspan(i, j - i)), learned, static_cast<int64_t>(j - i)});
    if (learned) preview.learned_tokens += static_cast<int64_t>(j - i);
    i = j;
  }
  return preview;
}

}  // namespace vltune::data
