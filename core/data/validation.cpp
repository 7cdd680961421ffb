#include "core/data/validation.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "core/data/statistics.h"
#include "core/error.h"
#include "core/text/pairwise_encoding.h"

namespace vltune::data {

namespace fs = std::filesystem;

namespace {

// What probing an image file found; each distinct file is probed once.
struct ImageProbe {
  bool exists = false;
  bool readable = false;
  text::ImageSize size;
  std::string error;  // why it is unreadable
};

bool is_blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

bool is_known_role(const std::string& role) {
  return role == "system" || role == "user" || role == "assistant";
}

std::string row_label(const Record& r) { return r.file + " row " + std::to_string(r.row); }

// The turns a template encodes: a leading system turn is Record::system's business.
std::span<const Turn> dialogue_turns(const Record& r) {
  std::span<const Turn> turns(r.turns);
  if (!turns.empty() && turns.front().role == "system") turns = turns.subspan(1);
  return turns;
}

// What makes two rows the same sample: the text of every turn and the images, by file.
std::string duplicate_key(const Record& r) {
  std::string key = r.system;
  key += '\x1f';
  for (const Turn& t : r.turns) {
    key += t.role;
    key += '\x1e';
    key += t.content;
    key += '\x1f';
  }
  key += r.caption;
  if (r.rejected) {
    key += '\x1c';
    key += *r.rejected;
  }
  for (const ImageRef& img : r.images) {
    key += '\x1d';
    key += img.path.empty() ? img.written : img.path.string();
  }
  return key;
}

class ProblemList {
 public:
  explicit ProblemList(const std::vector<Problem>& from_reading) : m_problems(from_reading) {
    for (const Problem& p : from_reading) m_seen.insert({p.file, p.row, p.kind});
  }
  // Adds a problem unless reading already reported the same kind for the same row.
  void add(const Record& r, ProblemKind kind, std::string message) {
    if (!m_seen.insert({r.file, r.row, kind}).second) return;
    m_problems.push_back({r.file, r.row, kind, std::move(message)});
  }
  std::vector<Problem> take() { return std::move(m_problems); }

 private:
  std::vector<Problem> m_problems;
  std::set<std::tuple<std::string, int64_t, ProblemKind>> m_seen;
};

// Token count of one row as training encodes it before truncation: every message formatted by
// the template, images expanded after LLaMA-Factory's pre-resize, plus the one closing EOS of
// efficient-EOS templates. A preference pair (`rejected` set) is as long as its longer answer.
int64_t untruncated_length(const ValidationParams& params, const text::Conversation& conv,
                           const std::optional<std::string>& rejected) {
  const text::PreparedMessages prepared = text::prepare_messages(*params.tmpl, params.layout, conv, params.supervised.image);
  const auto encoded = text::encode_messages(*params.tmpl, *params.tokenizer, prepared, conv.system);
  int64_t total = params.tmpl->efficient_eos ? 1 : 0;
  for (const auto& ids : encoded) total += static_cast<int64_t>(ids.size());
  if (rejected) {
    const auto other = text::encode_rejected_answer(*params.tmpl, *params.tokenizer, prepared, *rejected, conv.system, conv.label);
    total += std::max<int64_t>(0, static_cast<int64_t>(other.size()) - static_cast<int64_t>(encoded.back().size()));
  }
  return total;
}

// Runs fn(i) for i in [0, n) on `threads` threads, each taking interleaved indices.
template <typename Fn>
void parallel_for(size_t n, int threads, Fn fn) {
  unsigned t = threads > 0 ? static_cast<unsigned>(threads) : std::max(1u, std::thread::hardware_concurrency());
  t = static_cast<unsigned>(std::min<size_t>(t, std::max<size_t>(n / 64, 1)));
  if (t <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(t);
  for (unsigned w = 0; w < t; ++w)
    pool.emplace_back([&, w] {
      try {
        for (size_t i = w; i < n; i += t) fn(i);
      } catch (...) {
        errors[w] = std::current_exception();
      }
    });
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace

DatasetReport validate_dataset(const Dataset& dataset, const ValidationParams& params) {
  const size_t n = dataset.records.size();
  DatasetReport report;
  ProblemList problems(dataset.problems);
  const bool measure = params.tmpl != nullptr && params.tokenizer != nullptr;

  // Images: each distinct file probed once, however many rows name it.
  std::unordered_map<std::string, ImageProbe> probes;
  auto probe = [&](const ImageRef& ref) -> const ImageProbe& {
    const std::string key = ref.path.string();
    auto [it, inserted] = probes.try_emplace(key);
    if (!inserted) return it->second;
    ImageProbe& p = it->second;
    std::error_code ec;
    p.exists = !ref.path.empty() && fs::is_regular_file(ref.path, ec);
    if (!p.exists) return p;
    if (ref.width > 0 && ref.height > 0) {
      p.readable = true;  // the dataset states the size (COCO); no need to open the file
      p.size = {ref.width, ref.height};
      return p;
    }
    if (!params.probe_images) return p;
    try {
      p.size = probe_image_size(ref.path);
      p.readable = p.size.width > 0 && p.size.height > 0;
      if (!p.readable) p.error = "it has no pixels";
    } catch (const Error& e) {
      p.error = e.what();
    }
    return p;
  };

  std::unordered_map<std::string, size_t> first_of;  // duplicate key -> first row
  std::vector<text::Conversation> to_measure(measure ? n : 0);
  std::vector<uint8_t> measurable(n, 0);
  DatasetStats& stats = report.stats;
  stats.samples = static_cast<int64_t>(n);

  for (size_t i = 0; i < n; ++i) {
    const Record& r = dataset.records[i];
    bool encodable = true;

    // Roles, order and answers.
    bool roles_known = true;
    for (const Turn& t : r.turns) {
      if (is_known_role(t.role)) continue;
      roles_known = false;
      problems.add(r, ProblemKind::unknown_role,
                   "role \"" + t.role + "\" is neither user, assistant nor system (check the dataset's role tags)");
    }
    const std::span<const Turn> dialogue = dialogue_turns(r);
    stats.turns += static_cast<int64_t>(dialogue.size());
    if (roles_known) {
      std::string why;
      for (size_t k = 0; k < dialogue.size() && why.empty(); ++k) {
        const char* expected = k % 2 == 0 ? "user" : "assistant";
        if (dialogue[k].role != expected)
          why = "turn " + std::to_string(k) + " is " + dialogue[k].role + ", expected " + expected;
      }
      if (why.empty() && dialogue.empty()) why = "it has no turns";
      if (why.empty() && dialogue.back().role != "assistant") why = "it ends with a user turn (no answer to learn)";
      if (!why.empty()) problems.add(r, ProblemKind::not_alternating, "turns should alternate user, assistant, ...: " + why);
      encodable = why.empty();
    } else {
      encodable = false;
    }
    for (size_t k = 0; k < dialogue.size(); ++k)
      if (dialogue[k].role == "assistant" && is_blank(dialogue[k].content)) {
        problems.add(r, ProblemKind::empty_answer,
                     r.rejected && k + 1 == dialogue.size() ? std::string("the chosen answer is empty")
                                                            : "turn " + std::to_string(k) + ": the answer is empty");
        encodable = false;
        break;
      }
    if (r.rejected && is_blank(*r.rejected)) {
      problems.add(r, ProblemKind::empty_answer, "the rejected answer is empty");
      encodable = false;
    }

    // Images: markers against references, then the files.
    size_t markers = 0;
    for (const Turn& t : r.turns) markers += text::count_markers(t.content);
    if (markers != r.images.size()) {
      problems.add(r, ProblemKind::image_count_mismatch,
                   std::to_string(markers) + " <image> marker(s) in the text but " + std::to_string(r.images.size()) +
                       " image(s) listed");
      encodable = false;
    }
    std::vector<text::ImageSize> sizes;
    stats.image_refs += static_cast<int64_t>(r.images.size());
    if (!r.images.empty()) ++stats.samples_with_images;
    for (const ImageRef& ref : r.images) {
      const ImageProbe& p = probe(ref);
      if (!p.exists) {
        problems.add(r, ProblemKind::missing_image,
                     "image \"" + ref.written + "\" not found" +
                         (!ref.path.empty()                ? " (looked for " + ref.path.string() + ")"
                          : dataset.root.empty()          ? std::string()
                                                           : " (relative paths are looked up under " + dataset.root.string() + ")"));
        encodable = false;
      } else if (!p.readable && params.probe_images) {
        problems.add(r, ProblemKind::unreadable_image, "image \"" + ref.written + "\" cannot be read: " + p.error);
        encodable = false;
      }
      sizes.push_back(p.size);
    }

    if (r.bad_encoding) problems.add(r, ProblemKind::bad_encoding, "some text is not valid UTF-8");

    const auto [it, fresh] = first_of.try_emplace(duplicate_key(r), i);
    if (!fresh) {
      const Record& first = dataset.records[it->second];
      problems.add(r, ProblemKind::duplicate,
                   "same text and images as " + (first.file == r.file ? std::string() : first.file + " ") + "row " +
                       std::to_string(first.row));
    }

    if (measure && encodable && params.probe_images) {
      text::Conversation& conv = to_measure[i];
      conv.label = row_label(r);
      conv.system = r.system;
      for (const Turn& t : dialogue)
        conv.messages.push_back({t.role == "user" ? text::Role::user : text::Role::assistant, t.content});
      conv.images = std::move(sizes);
      measurable[i] = 1;
    }
  }

  // Distinct images and their sizes.
  std::vector<int64_t> widths, heights, longest;
  for (const auto& [path, p] : probes) {
    if (!p.exists) continue;
    ++stats.images;
    if (!p.readable) continue;
    widths.push_back(p.size.width);
    heights.push_back(p.size.height);
    longest.push_back(std::max(p.size.width, p.size.height));
  }
  stats.image_width = summarize(widths);
  stats.image_height = summarize(heights);
  stats.image_longest_side = summarize(longest);

  // Token lengths: the slow part, spread over threads.
  report.token_lengths.assign(n, -1);
  std::vector<std::string> encode_errors(n);
  if (measure) {
    stats.tokens_measured = true;
    parallel_for(n, params.threads, [&](size_t i) {
      if (!measurable[i]) return;
      try {
        report.token_lengths[i] = untruncated_length(params, to_measure[i], dataset.records[i].rejected);
      } catch (const Error& e) {
        encode_errors[i] = e.what();
      }
    });
    std::vector<int64_t> measured;
    for (size_t i = 0; i < n; ++i) {
      const Record& r = dataset.records[i];
      if (!encode_errors[i].empty()) {
        // Rows reaching here are well formed, so what the template refuses is an image: one the
        // model cannot take (aspect ratio past 200:1) or any image for a template without one.
        if (r.images.empty()) throw Error(encode_errors[i]);
        problems.add(r, ProblemKind::unreadable_image,
                     "its image(s) cannot be used with template " + params.tmpl->name + ": " + encode_errors[i]);
        continue;
      }
      const int64_t len = report.token_lengths[i];
      if (len < 0) continue;
      measured.push_back(len);
      if (len > params.supervised.cutoff_len)
        problems.add(r, ProblemKind::too_long,
                     std::to_string(len) + " tokens with its images expanded, over cutoff_len " +
                         std::to_string(params.supervised.cutoff_len) + " (training would cut it)");
    }
    stats.tokens = summarize(measured);
  }

  report.problems = problems.take();
  std::stable_sort(report.problems.begin(), report.problems.end(), [](const Problem& a, const Problem& b) {
    return std::tie(a.file, a.row, a.kind) < std::tie(b.file, b.row, b.kind);
  });

  // Which records the problems name.
  std::unordered_map<std::string, std::unordered_map<int64_t, size_t>> index;
  for (size_t i = 0; i < n; ++i) index[dataset.records[i].file][dataset.records[i].row] = i;
  report.row_has_problem.assign(n, 0);
  for (const Problem& p : report.problems) {
    const auto f = index.find(p.file);
    if (f == index.end()) continue;
    const auto row = f->second.find(p.row);
    if (row != f->second.end()) report.row_has_problem[row->second] = 1;
  }
  report.rows_with_problems = std::accumulate(report.row_has_problem.begin(), report.row_has_problem.end(), int64_t{0});
  return report;
}

std::vector<size_t> usable_records(const Dataset& dataset, const DatasetReport& report, ProblemPolicy policy,
                                   int64_t* skipped) {
  std::vector<const Problem*> whole_file;
  for (const Problem& p : report.problems)
    if (p.row < 0) whole_file.push_back(&p);
  auto describe = [](const Problem& p) {
    return (p.file.empty() ? std::string("dataset") : p.file) + (p.row >= 0 ? " row " + std::to_string(p.row) : "") +
           ": " + std::string(problem_kind_name(p.kind)) + ": " + p.message;
  };
  if (!whole_file.empty())
    throw FormatError("the dataset has files that could not be read (their rows cannot be counted, so they are "
                      "not skipped): " + describe(*whole_file.front()) +
                      (whole_file.size() > 1 ? " (and " + std::to_string(whole_file.size() - 1) + " more)" : ""));
  if (policy == ProblemPolicy::stop && report.rows_with_problems > 0) {
    std::string list;
    const size_t shown = std::min<size_t>(report.problems.size(), 5);
    for (size_t k = 0; k < shown; ++k) list += "\n  " + describe(report.problems[k]);
    throw FormatError(std::to_string(report.rows_with_problems) + " row(s) have problems (" +
                      std::to_string(report.problems.size()) + " in all); fix them or choose to skip bad rows:" + list);
  }
  std::vector<size_t> out;
  out.reserve(dataset.records.size());
  for (size_t i = 0; i < dataset.records.size(); ++i)
    if (i >= report.row_has_problem.size() || !report.row_has_problem[i]) out.push_back(i);
  if (skipped) *skipped = static_cast<int64_t>(dataset.records.size() - out.size());
  return out;
}

}  // namespace vltune::data
