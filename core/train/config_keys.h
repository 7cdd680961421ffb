#pragma once
// The keys of LLaMA-Factory's and transformers' training arguments that TrainConfig has no field
// for: those accepted and ignored, those whose values matter (a value this engine cannot honour
// is an error, or a warning when training comes out the same), and renamed keys. Plus the "did
// you mean" for keys no tool knows.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vltune::train {

// What to check of a known key's value before ignoring it.
enum class ValueTest {
  is_true,    // a boolean that is true
  is_false,   // a boolean that is false
  is_set,     // anything but null, "", an empty list or map
  differs,    // not `expected` (numbers compared as numbers, words without case)
};

struct ValueRule {
  std::string_view key;
  ValueTest test;
  std::string_view expected;  // for `differs`
  bool error;                 // true: a load error; false: a warning, and the key is ignored
  std::string_view why;       // the reason, shown after the key
};

// The rule for `key`, or nullptr.
const ValueRule* find_value_rule(std::string_view key);

// A known key that means nothing here (trust_remote_code, report_to, ddp_timeout, video_*, ...).
bool is_ignored_key(std::string_view key);

// An older name of a TrainConfig key: evaluation_strategy -> eval_strategy, image_resolution ->
// image_max_pixels. "" when `key` is no such name.
std::string_view renamed_key(std::string_view key);

// Every key of the tables above (prefix families as their prefix), for suggestions.
std::vector<std::string_view> table_keys();

// Levenshtein distance with adjacent transpositions, case-insensitive.
size_t edit_distance(std::string_view a, std::string_view b);
// The key of `known` closest to `key`, when close enough to be a typo of it (at most 1 edit for
// short keys, up to 3 for long ones); "" otherwise.
std::string closest_key(std::string_view key, std::span<const std::string_view> known);

}  // namespace vltune::train
