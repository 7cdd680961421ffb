#include "core/gen/logits_processors.h"

#include <algorithm>
#include <limits>

namespace vltune::gen {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// A uniform number in (0, 1] from 53 random bits: never 0, so the draw below never lands on a
// token of probability 0.
double uniform_open_closed(std::mt19937_64& rng) { return static_cast<double>((rng() >> 11) + 1) * 0x1.0p-53; }

}  // namespace

torch::Tensor seen_tokens(const torch::Tensor& ids, int64_t vocab) {
  auto seen = torch::zeros({vocab}, ids.options().dtype(torch::kBool));
  return seen.index_fill_(/*dim=*/0, ids.reshape({-1}).to(torch::kLong), true);
}

torch::Tensor apply_repetition_penalty(const torch::Tensor& scores, const torch::Tensor& seen, double penalty) {
  auto penalised = torch::where(scores < 0, scores * penalty, scores / penalty);  // [1, V]
  return torch::where(seen, penalised, scores);                                   // seen [V] broadcasts
}

torch::Tensor apply_temperature(const torch::Tensor& scores, double temperature) { return scores / temperature; }

torch::Tensor apply_top_k(const torch::Tensor& scores, int64_t top_k, int64_t min_keep) {
  const int64_t k = std::min(std::max(top_k, min_keep), scores.size(-1));
  auto kth = std::get<0>(scores.topk(k, /*dim=*/-1)).narrow(-1, k - 1, 1);  // [1, 1]
  return scores.masked_fill(scores < kth, kNegInf);
}

torch::Tensor apply_top_p(const torch::Tensor& scores, double top_p, int64_t min_keep) {
  const int64_t v = scores.size(-1);
  auto [sorted, order] = torch::sort(scores, /*stable=*/true, /*dim=*/-1, /*descending=*/false);  // [1, V] each
  auto cumulative = sorted.softmax(/*dim=*/-1).cumsum(/*dim=*/-1);                                // [1, V]
  auto remove_sorted = cumulative <= (1.0 - top_p);
  const int64_t keep = std::min(min_keep, v);
  remove_sorted.narrow(-1, v - keep, keep).fill_(false);  // the most likely stay
  auto remove = remove_sorted.scatter(/*dim=*/-1, order, remove_sorted);
  return scores.masked_fill(remove, kNegInf);
}

torch::Tensor apply_min_p(const torch::Tensor& scores, double min_p, int64_t min_keep) {
  auto probs = scores.softmax(/*dim=*/-1);                      // [1, V]
  auto remove = probs < probs.amax(/*dim=*/-1, /*keepdim=*/true) * min_p;
  auto order = std::get<1>(torch::sort(scores, /*stable=*/true, /*dim=*/-1, /*descending=*/true));  // [1, V]
  auto remove_sorted = remove.gather(/*dim=*/-1, order);
  const int64_t keep = std::min(min_keep, scores.size(-1));
  remove_sorted.narrow(-1, 0, keep).fill_(false);
  return scores.masked_fill(remove_sorted.scatter(/*dim=*/-1, order, remove_sorted), kNegInf);
}

TokenSampler::TokenSampler(const GenerationParams& params, torch::Tensor prompt_ids)
    : m_params(params), m_prompt_ids(std::move(prompt_ids)), m_rng(params.seed) {
  validate(m_params);
}

torch::Tensor TokenSampler::process(const torch::Tensor& logits) {
  auto scores = logits.to(torch::kFloat32);  // [1, V]; transformers processes float32 copies too
  if (m_params.repetition_penalty != 1.0) {
    if (!m_seen.defined()) m_seen = seen_tokens(m_prompt_ids, scores.size(-1));
    scores = apply_repetition_penalty(scores, m_seen, m_params.repetition_penalty);
  }
  if (!m_params.do_sample) return scores;
  if (m_params.temperature != 1.0) scores = apply_temperature(scores, m_params.temperature);
  if (m_params.top_k != 0) scores = apply_top_k(scores, m_params.top_k);
  if (m_params.top_p < 1.0) scores = apply_top_p(scores, m_params.top_p);
  if (m_params.min_p > 0.0) scores = apply_min_p(scores, m_params.min_p);
  return scores;
}

torch::Tensor TokenSampler::next(const torch::Tensor& logits) {
  const auto scores = process(logits);  // [1, V]
  torch::Tensor token;                  // [1, 1] int64
  if (!m_params.do_sample) {
    token = scores.argmax(/*dim=*/-1, /*keepdim=*/true);
  } else {
    // Inverse CDF: the first token whose cumulative probability reaches u * total. float64 sums
    // keep the draw from drifting over a large vocabulary.
    const int64_t v = scores.size(-1);
    auto cdf = scores.softmax(/*dim=*/-1).to(torch::kFloat64).cumsum(/*dim=*/-1);  // [1, V]
    auto threshold = cdf.narrow(-1, v - 1, 1) * uniform_open_closed(m_rng);        // [1, 1]
    token = (cdf < threshold).sum().clamp_max(v - 1).reshape({1, 1});              // [1, 1] int64
  }
  if (m_seen.defined()) m_seen.index_fill_(/*dim=*/0, token.reshape({-1}), true);
  return token;
}

}  // namespace vltune::gen
