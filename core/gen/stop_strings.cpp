#include "core/gen/stop_strings.h"

#include <algorithm>
#include <utility>

namespace vltune::gen {

StopStringFilter::StopStringFilter(std::vector<std::string> stop_strings) : m_stops(std::move(stop_strings)) {}

StopStringFilter::Output StopStringFilter::push(std::string_view piece) {
  Output out;
  if (!m_matched.empty()) return out;
  m_pending += piece;
  // A stop string can only start in the pending text: an earlier start would have been held back.
  size_t first = std::string::npos;
  for (const auto& s : m_stops) {
    const size_t at = m_pending.find(s);
    if (at < first) {
      first = at;
      m_matched = s;
    }
  }
  if (first != std::string::npos) {
    out.text = m_pending.substr(0, first);
    out.stopped = true;
    m_pending.clear();
    return out;
  }
  // Hold back the longest end that begins some stop string. It starts where a stop string does,
  // so on a character boundary.
  size_t hold = 0;
  for (const auto& s : m_stops)
    for (size_t k = std::min(s.size() - 1, m_pending.size()); k > hold; --k)
      if (m_pending.compare(m_pending.size() - k, k, s, 0, k) == 0) {
        hold = k;
        break;
      }
  out.text = m_pending.substr(0, m_pending.size() - hold);
  m_pending.erase(0, m_pending.size() - hold);
  return out;
}

std::string StopStringFilter::finish() { return std::exchange(m_pending, {}); }

}  // namespace vltune::gen
