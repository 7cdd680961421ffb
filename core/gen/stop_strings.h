#pragma once
// Stop strings over streamed text. Text passes through as it arrives except for its end where
// that could be the start of a stop string: held back until the next piece settles it, so text
// already handed to the user never has to be taken back. The first stop string the text contains
// ends generation; it and anything after it are dropped (as OpenAI's and vLLM's `stop` do;
// transformers' stop_strings stop at the same token but keep the text).

#include <string>
#include <string_view>
#include <vector>

namespace vltune::gen {

class StopStringFilter {
 public:
  // Non-empty strings (validate() checks).
  explicit StopStringFilter(std::vector<std::string> stop_strings);

  struct Output {
    std::string text;      // what can be shown now
    bool stopped = false;  // a stop string completed: `text` ends right before it
  };
  // The next piece of UTF-8 text (whole characters).
  Output push(std::string_view piece);
  // Whatever is still held back, when the text ends without a stop string.
  std::string finish();
  // The stop string that ended the text (empty until one does).
  const std::string& matched() const { return m_matched; }

 private:
  std::vector<std::string> m_stops;
  std::string m_pending;  // text not yet passed on: all of it could still start a stop string
  std::string m_matched;
};

}  // namespace vltune::gen
