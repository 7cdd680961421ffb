#pragma once
// The causal LM loss without the full logits: transformers computes logits [B, T, vocab] for every
// position and then the cross-entropy on the label positions; with Qwen's 151,936-word vocabulary
// that tensor (and its float32 copy and gradient) is most of a training step's memory. Here only
// the label positions go through lm_head, in chunks of rows; forward keeps none of a chunk's
// logits and backward computes each chunk's logits again (one extra lm_head product over the
// label rows only, a fraction of a percent of a VLM's step) so that one chunk's logits are alive
// at a time.
//
// The arithmetic per row is transformers' ForCausalLMLoss: logits in lm_head's dtype, upcast to
// float32 (logits.float()), cross-entropy summed with -100 ignored; backward differentiates the
// same operations with the incoming gradient, so the gradients for the hidden states and for
// whatever the head trains (lm_head's weight, LoRA on lm_head, dropout masks replayed) are the
// unchunked loss's.

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace vltune::lora {

class LoraLinearImpl;

// How the chunked loss splits the work. A chunk's float32 logits, their log-softmax and gradient
// are alive together: with Qwen's 151,936 words, 1,024 rows are 0.6 GB each, the largest transient
// of a QLoRA step at 2k tokens; the byte cap keeps chunks of large vocabularies small (the lm_head
// product stays large enough to run at full speed).
struct ChunkedLossParams {
  int64_t chunk_rows = 1024;                   // at most this many label rows' logits at once
  int64_t chunk_logit_bytes = int64_t{128} << 20;  // and at most rows x vocab x 4 bytes of them (at least 1 row; lm_head's vocab)
};

// The rows per chunk for a head of `vocab` outputs: chunk_rows, fewer where chunk_logit_bytes
// says so, at least 1. Throws vltune::Error for chunk_rows or chunk_logit_bytes below 1.
int64_t chunk_rows_for(const ChunkedLossParams& p, int64_t vocab);

// rows -> logits, e.g. lm_head's forward. Called once per chunk.
using LogitsHead = std::function<torch::Tensor(const torch::Tensor& rows)>;

// Sum over rows of cross_entropy(head(rows).float(), targets), targets of -100 ignored.
// rows: [N, hidden], targets: [N] int64, params: the tensors `head` reads that require grad (their
// gradients flow through the result). With grad mode off, or nothing requiring grad, it simply
// sums the chunks' losses. -> scalar float32 (0 for N = 0, still differentiable)
torch::Tensor chunked_linear_cross_entropy_sum(const torch::Tensor& rows, const LogitsHead& head,
                                               const std::vector<torch::Tensor>& params, const torch::Tensor& targets,
                                               const ChunkedLossParams& p = {});

// Next-token loss from the decoder's hidden states: hidden [B, T, hidden] and labels [B, T]
// (-100 ignored) shifted by one, only the label positions sent through `lm_head` (with its
// active adapters). The same sum as causal_lm_loss_sum(lm_head(hidden), labels). The labels are
// read on the host: pass the batch's CPU labels (on a device they are read back, a wait for it).
// -> (scalar float32 sum, label tokens)
std::pair<torch::Tensor, int64_t> chunked_causal_lm_loss_sum(const torch::Tensor& hidden, LoraLinearImpl& lm_head,
                                                             const torch::Tensor& labels, const ChunkedLossParams& p = {});

}  // namespace vltune::lora
