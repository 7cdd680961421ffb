#include "core/cli/retrieve_command.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <numeric>
#include <optional>
#include <string>

#include "core/cli/cli_numbers.h"
#include "core/data/dataset.h"
#include "core/data/sample_encoder.h"
#include "core/error.h"
#include "core/gen/clip_retrieval.h"
#include "core/io/hf_config.h"
#include "core/lora/lora_factory.h"

namespace vltune::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRetrieveUsage =
    "usage: vltune-cli retrieve --model DIR [--adapter DIR] [--device auto|cpu|cuda[:N]] [--batch-size N]\n"
    "                           --image FILE \"caption 1\" \"caption 2\" ...\n"
    "                         | --caption TEXT --images FOLDER\n"
    "                         | --dataset PATH [--max-samples N]\n"
    "  CLIP's chat is retrieval. --image: scores the captions against the image (CLIP's\n"
    "  logits_per_image and the softmax over the captions). --caption: ranks the folder's images\n"
    "  for the caption. --dataset: recall@1/5/10 image->text and text->image over a captioned\n"
    "  dataset (image_captions / coco_captions), caption i matching image i; ties count as misses.\n"
    "  --adapter DIR: a PEFT adapter; base and adapted are shown side by side, from one loaded model.\n";

struct RetrieveOptions {
  fs::path model;
  std::optional<fs::path> adapter;
  std::string device = "auto";
  gen::RetrievalParams params;
  std::optional<fs::path> image;          // --image mode
  std::vector<std::string> captions;      // --image mode: the positional captions
  std::optional<std::string> caption;     // --caption mode
  std::optional<fs::path> images;         // --caption mode: the folder
  std::optional<fs::path> dataset;        // --dataset mode
  std::optional<int64_t> max_samples;     // --dataset mode: the first N usable records
};

int64_t count(const std::string& flag, const std::string& v) {
  if (const auto n = whole_integer(v); n && *n > 0) return *n;
  throw Error(flag + " takes a positive count, got \"" + v + "\"");
}

// Throws vltune::Error for bad usage (reported with exit code 2).
RetrieveOptions parse(const std::vector<std::string>& args) {
  RetrieveOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw Error(a + " needs a value");
      return args[++i];
    };
    if (a == "--model") o.model = value();
    else if (a == "--adapter") o.adapter = fs::path(value());
    else if (a == "--device") o.device = value();
    else if (a == "--batch-size") o.params.batch_size = count(a, value());
    else if (a == "--image") o.image = fs::path(value());
    else if (a == "--caption") o.caption = value();
    else if (a == "--images") o.images = fs::path(value());
    else if (a == "--dataset") o.dataset = fs::path(value());
    else if (a == "--max-samples") o.max_samples = count(a, value());
    else if (a.size() > 1 && a[0] == '-' && a[1] == '-') throw Error("unknown option " + a);
    else o.captions.push_back(a);
  }
  if (o.model.empty()) throw Error("--model DIR is required");
  const int modes = (o.image ? 1 : 0) + (o.caption || o.images ? 1 : 0) + (o.dataset ? 1 : 0);
  if (modes != 1) throw Error("give exactly one of --image FILE, --caption TEXT --images FOLDER, --dataset PATH");
  if (o.image && o.captions.empty()) throw Error("--image needs the captions to score, as arguments after the options");
  if (!o.image && !o.captions.empty()) throw Error("unexpected argument \"" + o.captions.front() + "\" (captions go with --image)");
  if ((o.caption || o.images) && !(o.caption && o.images)) throw Error("--caption TEXT and --images FOLDER go together");
  if (o.max_samples && !o.dataset) throw Error("--max-samples goes with --dataset");
  return o;
}

// The image's captions, best first by the adapted score when there is one.
void print_image_table(const std::vector<std::string>& captions, const gen::ClipScores& base, const gen::ClipScores* adapted) {
  const auto bl = base.logits_per_image[0], bp = base.probs_per_image[0];
  std::printf(adapted ? "%-40s %10s %8s %10s %8s\n" : "%-40s %10s %8s\n", "caption", "base", "prob", "adapted", "prob");
  for (size_t i = 0; i < captions.size(); ++i) {
    const auto j = static_cast<int64_t>(i);
    std::string shown = captions[i].size() > 40 ? captions[i].substr(0, 37) + "..." : captions[i];
    std::printf("%-40s %10.4f %8.4f", shown.c_str(), bl[j].item<double>(), bp[j].item<double>());
    if (adapted)
      std::printf(" %10.4f %8.4f", adapted->logits_per_image[0][j].item<double>(), adapted->probs_per_image[0][j].item<double>());
    std::printf("\n");
  }
}

void print_ranking(const std::vector<fs::path>& images, const gen::ClipScores& base, const gen::ClipScores* adapted) {
  const gen::ClipScores& ranked_by = adapted ? *adapted : base;
  const auto probs = ranked_by.probs_per_text[0].to(torch::kDouble).contiguous();  // [N] over the images
  const std::vector<double> score(probs.data_ptr<double>(), probs.data_ptr<double>() + probs.numel());
  std::vector<size_t> order(images.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  std::printf(adapted ? "%4s  %-40s %10s %8s %10s %8s\n" : "%4s  %-40s %10s %8s\n", "rank", "image", "base", "prob", "adapted", "prob");
  for (size_t r = 0; r < order.size(); ++r) {
    const auto i = static_cast<int64_t>(order[r]);
    std::printf("%4zu  %-40s %10.4f %8.4f", r + 1, images[order[r]].filename().string().c_str(),
                base.logits_per_image[i][0].item<double>(), base.probs_per_text[0][i].item<double>());
    if (adapted)
      std::printf(" %10.4f %8.4f", adapted->logits_per_image[i][0].item<double>(), adapted->probs_per_text[0][i].item<double>());
    std::printf("\n");
  }
}

void print_recall(const gen::RetrievalReport& base, const gen::RetrievalReport* adapted) {
  std::printf("retrieval over %lld captioned images (ties count as misses)\n", static_cast<long long>(base.pairs));
  if (adapted)
    std::printf("%-6s %12s %12s %12s %12s\n", "", "i->t base", "i->t adapted", "t->i base", "t->i adapted");
  else
    std::printf("%-6s %12s %12s\n", "", "image->text", "text->image");
  for (size_t i = 0; i < base.recall.size(); ++i) {
    const std::string k = "R@" + std::to_string(base.recall[i].k);
    if (adapted)
      std::printf("%-6s %12.4f %12.4f %12.4f %12.4f\n", k.c_str(), base.recall[i].image_to_text, adapted->recall[i].image_to_text,
                  base.recall[i].text_to_image, adapted->recall[i].text_to_image);
    else
      std::printf("%-6s %12.4f %12.4f\n", k.c_str(), base.recall[i].image_to_text, base.recall[i].text_to_image);
  }
}

// The dataset's records that can be retrieval pairs: one image found on disk. The others are
// counted on stderr, not silently dropped.
std::vector<data::Record> usable_records(const fs::path& path, std::optional<int64_t> max_samples) {
  data::Dataset ds = data::open_dataset(path);
  std::vector<data::Record> out;
  int64_t left_out = 0;
  for (auto& r : ds.records) {
    if (max_samples && static_cast<int64_t>(out.size()) >= *max_samples) break;
    if (r.images.size() == 1 && !r.images.front().path.empty()) out.push_back(std::move(r));
    else ++left_out;
  }
  if (left_out) std::fprintf(stderr, "vltune: left out %lld rows without exactly one image file\n", static_cast<long long>(left_out));
  if (out.empty()) throw Error(path.string() + ": no row with a caption and one image file to retrieve among");
  return out;
}

// Runs `job` on the model as given (base only) or base and adapted.
template <typename Job>
auto run(lora::LoraModel& model, bool with_adapter, Job&& job) -> gen::BaseAndAdapted<decltype(job())> {
  if (with_adapter) return gen::base_and_adapted(model, {"default"}, job);
  return {job(), {}};
}

}  // namespace

int run_retrieve(const std::vector<std::string>& args) {
  if (std::find_if(args.begin(), args.end(), [](const std::string& a) { return a == "-h" || a == "--help"; }) != args.end()) {
    std::fputs(kRetrieveUsage, stdout);
    return 0;
  }
  RetrieveOptions o;
  lora::ModelPlacement placement;
  try {
    o = parse(args);
    placement = lora::resolve_placement(o.device, "fp32");
  } catch (const Error& e) {
    std::fprintf(stderr, "vltune-cli retrieve: %s\n%s", e.what(), kRetrieveUsage);
    return 2;
  }

  const data::SampleEncoder encoder(o.model);
  if (encoder.family() != io::ModelFamily::clip)
    throw Error(o.model.string() + " is a " + std::string(io::model_family_name(encoder.family())) +
                " model; retrieve is for CLIP (use chat for the others)");
  const auto model = lora::open_model(o.model, placement);
  if (o.adapter) model->load_adapter(*o.adapter, "default");
  const bool with_adapter = o.adapter.has_value();

  if (o.image) {
    const auto scores = run(*model, with_adapter, [&] { return gen::score_image_captions(*model, encoder, *o.image, o.captions, o.params); });
    print_image_table(o.captions, scores.base, with_adapter ? &scores.adapted : nullptr);
  } else if (o.caption) {
    const auto images = gen::list_images(*o.images);
    const auto scores = run(*model, with_adapter, [&] { return gen::score_caption_images(*model, encoder, *o.caption, images, o.params); });
    print_ranking(images, scores.base, with_adapter ? &scores.adapted : nullptr);
  } else {
    const auto records = usable_records(*o.dataset, o.max_samples);
    const auto reports = run(*model, with_adapter, [&] { return gen::evaluate_retrieval(*model, encoder, records, o.params); });
    print_recall(reports.base, with_adapter ? &reports.adapted : nullptr);
  }
  return 0;
}

}  // namespace vltune::cli
