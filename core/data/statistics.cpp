#include "core/data/statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace vltune::data {

namespace {

// Nearest-rank percentile of sorted values: the smallest value with at least q of them at or below.
int64_t nearest_rank(const std::vector<int64_t>& sorted, double q) {
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

Distribution summarize(std::vector<int64_t> values, int bins) {
  Distribution d;
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  d.count = static_cast<int64_t>(values.size());
  d.min = values.front();
  d.max = values.back();
  d.mean = static_cast<double>(std::accumulate(values.begin(), values.end(), int64_t{0})) / static_cast<double>(d.count);
  d.p50 = nearest_rank(values, 0.5);
  d.p95 = nearest_rank(values, 0.95);

  // Whole-number bin width so edges read well ("512-768 tokens"); the last edge is past max.
  const int64_t span = d.max - d.min + 1;
  const int64_t width = std::max<int64_t>(1, (span + bins - 1) / std::max(bins, 1));
  const int64_t n_bins = (span + width - 1) / width;
  d.histogram.edges.resize(static_cast<size_t>(n_bins) + 1);
  for (int64_t b = 0; b <= n_bins; ++b) d.histogram.edges[static_cast<size_t>(b)] = d.min + b * width;
  d.histogram.counts.assign(static_cast<size_t>(n_bins), 0);
  for (const int64_t v : values) ++d.histogram.counts[static_cast<size_t>((v - d.min) / width)];
  return d;
}

}  // namespace vltune::data
