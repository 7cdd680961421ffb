#pragma once
// Checks every row of a dataset and measures it, in one pass: the problems a person can act on
// (with file and row), and the statistics the dataset page and `vltune-cli inspect` show. No
// pixel is decoded: image sizes come from file headers, token counts from the template and the
// image layout (LLaMA-Factory's pre-resize, then the model's processor arithmetic).

#include <cstdint>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/statistics.h"
#include "core/text/chat_template.h"
#include "core/text/supervised_encoding.h"
#include "core/text/tokenizer.h"

namespace vltune::data {

// What validation may use. Without a tokenizer and a template, token lengths (and too_long) are
// not measured; everything else is.
struct ValidationParams {
  const text::ConversationTemplate* tmpl = nullptr;  // the training template (encodes exactly as training will)
  const text::Tokenizer* tokenizer = nullptr;        // the model's tokenizer
  text::ImageLayout layout;                          // image token counts (plugin none: images not expanded)
  text::SupervisedParams supervised;                 // cutoff_len and LLaMA-Factory's image pre-resize
  bool probe_images = true;                          // read each image's header (missing/unreadable, sizes)
  int threads = 0;                                   // token counting threads (0: hardware concurrency)
};

// What a dataset holds.
struct DatasetStats {
  int64_t samples = 0;           // rows, bad ones included
  int64_t images = 0;            // distinct image files referenced
  int64_t image_refs = 0;        // image references over all rows
  int64_t turns = 0;             // user + assistant turns over all rows
  int64_t samples_with_images = 0;  // rows with at least one image
  bool tokens_measured = false;  // a tokenizer and template were given
  Distribution tokens;           // per row: input_ids length before truncation (measured rows only)
  Distribution image_width;      // per distinct readable image, pixels
  Distribution image_height;     // per distinct readable image, pixels
  Distribution image_longest_side;  // per distinct readable image, pixels
};

struct DatasetReport {
  DatasetStats stats;               // what the dataset holds
  std::vector<Problem> problems;    // reading's and validation's, ordered by file, row, kind
  std::vector<int64_t> token_lengths;  // per record (-1: not measured or not encodable)
  std::vector<uint8_t> row_has_problem;  // per record: 1 when some problem names it (it would be skipped)
  int64_t rows_with_problems = 0;   // records with at least one problem
};

// Validates and measures `dataset`. Problems from reading (Dataset::problems) are included.
DatasetReport validate_dataset(const Dataset& dataset, const ValidationParams& params = {});

// What training does with rows that have problems.
enum class ProblemPolicy {
  skip,  // leave them out; the count is reported
  stop,  // refuse to train while any row has a problem
};

// The records training uses: all of them when clean; with `skip`, those without problems (and
// `skipped` says how many were left out); with `stop`, throws FormatError listing the first
// problems (file, row, kind) and how many there are. Problems about a whole file (row -1) stop
// training under either policy: the rows they hide cannot be counted.
std::vector<size_t> usable_records(const Dataset& dataset, const DatasetReport& report,
                                   ProblemPolicy policy, int64_t* skipped = nullptr);

}  // namespace vltune::data
