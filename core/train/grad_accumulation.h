#pragma once
// One optimizer step's worth of micro-batches (a window) through forward and backward, with the
// loss normalised by the label tokens of the whole window (the 2024 gradient-accumulation fix in
// transformers and Unsloth): each micro-batch backpropagates loss_sum / window_tokens, so the
// gradients summed over the window are those of one batch holding all of it, whatever the
// micro-batches' token counts. (Averaging per micro-batch, the old way, over-weights the tokens
// of short micro-batches.)

#include <cstdint>
#include <optional>
#include <span>
#include <stop_token>

#include <ATen/core/Tensor.h>

#include "core/data/collate.h"
#include "core/train/trainable.h"

namespace vltune::train {

struct WindowResult {
  at::Tensor loss_sum;       // [] float64 on the model's device: the sum of each micro-batch's loss sum, not read back yet
  int64_t loss_tokens = 0;   // what it is summed over
  int64_t samples = 0;       // rows of all micro-batches
  int64_t input_tokens = 0;  // non-padding input tokens (attention_mask), what throughput counts

  // loss_sum / loss_tokens (0 without label tokens). Reads loss_sum back, a wait for the device:
  // call it once the step's optimizer work is queued.
  double loss() const;
};

// sum += part, an undefined sum counting as 0: sums kept on the device (and read once) start
// without a zero tensor made on the right device first.
void add_to_sum(at::Tensor& sum, const at::Tensor& part);

// Non-padding input tokens of a batch (its input_ids' size without a mask).
int64_t input_tokens(const data::Batch& batch);

// Samples in a batch: its pairs for a preference batch (two rows each), else its rows.
int64_t batch_samples(const data::Batch& batch);

// Forward and backward of every batch of `window`, gradients accumulating into the parameters'
// .grad; nothing is read back from the device. `loss_scale` multiplies the backpropagated loss
// (fp16 loss scaling). A window without label tokens backpropagates nothing. Checks `stop` before each micro-batch and returns nullopt
// when it is requested (some gradients may then be accumulated: the caller drops them). Throws
// vltune::Error when a batch's loss counts other tokens than model.loss_tokens() said.
std::optional<WindowResult> accumulate_window(TrainableModel& model, std::span<const data::Batch> window,
                                              double loss_scale = 1.0, std::stop_token stop = {});

}  // namespace vltune::train
