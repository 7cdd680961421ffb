#pragma once
// Summaries of integer samples (token lengths, image sides) for reports and the dataset page.

#include <cstdint>
#include <vector>


namespace vltune::data {

// Equal-width bins over [edges.front(), edges.back()]; counts[i] is for [edges[i], edges[i+1]).
struct Histogram {
  std::vector<int64_t> edges;   // bins + 1 edges
  std::vector<int64_t> counts;  // per bin
};

// Summary of a set of integers.
struct Distribution {
  int64_t count = 0;   // values
  int64_t min = 0;     // smallest
  int64_t max = 0;     // largest
  double mean = 0;     // average
  int64_t p50 = 0;     // median (nearest rank)
  int64_t p95 = 0;     // 95th percentile (nearest rank)
  Histogram histogram; // up to 20 bins
};

// Count, min, max, mean, nearest-rank median and 95th percentile, and a histogram of at most
// `bins` equal-width bins whose edges are whole numbers covering [min, max]. Empty input gives
// count 0 and an empty histogram.
Distribution summarize(std::vector<int64_t> values, int bins = 20);

}  // namespace vltune::data
