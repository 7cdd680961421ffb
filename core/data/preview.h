#pragma once
// One sample as the dataset page previews it: its text and images as written, and the prompt
// exactly as training encodes it, cut into pieces that are learned (label = token) or not
// (IGNORE_INDEX), so the mask is visible. Random access: no other row is touched.

#include <cstdint>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/validation.h"

namespace vltune::data {

// A stretch of the encoded prompt with one label state.
struct PromptPiece {
  std::string text;      // decoded tokens; a run of one repeated special token reads "<|image_pad|>×64"
  bool learned = false;  // the tokens carry loss
  int64_t tokens = 0;    // tokens in the stretch
};

struct SamplePreview {
  Record record;                    // the row as read (text, images with their resolved paths)
  std::vector<PromptPiece> prompt;  // the training encoding (empty when it could not be encoded)
  int64_t tokens = 0;               // input_ids after truncation
  int64_t learned_tokens = 0;       // tokens with a label
  std::vector<std::string> notes;   // what truncation cut
  std::string error;                // why the row could not be encoded ("" when it was)
};

// Previews record `index` (std::out_of_range past the end). Without a tokenizer and template in
// `params` only the record is filled; a row that cannot be encoded gets `error`, not an exception.
SamplePreview preview_sample(const Dataset& dataset, size_t index, const ValidationParams& params);

}  // namespace vltune::data
