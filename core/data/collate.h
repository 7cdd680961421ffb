#pragma once
// Encoded examples -> one batch, right-padded, in the layout each family's model takes
// (core/models/*Inputs; batch_inputs.h converts):
//   every family   input_ids [B, T] int64 padded with the pad id, attention_mask [B, T] (0 on
//                  padding); labels [B, T] with kIgnoreIndex on padding (not for CLIP)
//   Qwen2(.5)-VL   pixel_values: every image's patch rows concatenated in sample order,
//                  image_grid_thw [images, 3]
//   LLaVA, CLIP    pixel_values [N, C, H, W], images in sample order (CLIP: N = B)
//   Idefics3       pixel_values [B, Nmax, C, H, W]: per sample its tiles, the shorter lists padded
//                  with all-zero images (and tiles padded bottom/right to the largest),
//                  pixel_attention_mask [B, Nmax, H, W] 1 on real pixels (Idefics3ImageProcessor)
// Preference examples (EncodedExample::rejected_input_ids set) give two rows each: the B chosen
// sequences first, then the B rejected ones in the same order (LLaMA-Factory's
// PairwiseDataCollatorWithPadding), each pair's images repeated for its second row.
// Samples without images get none (Idefics3: zero images with a zero mask); a batch without any
// image leaves the pixel tensors undefined. Examples with uint8 pixels (EncoderParams::raw_pixels)
// give a batch with uint8 pixel_values and their pixel_table; data::*_inputs normalise them on the
// device they send them to, to the same floats. Packed rows (pack_examples) are collated like samples,
// with segment_ids saying which sample each token is.

#include <cstdint>
#include <span>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/data/sample_encoder.h"
#include "core/io/hf_config.h"
#include "core/text/tokenizer.h"

namespace vltune::data {

struct Batch {
  io::ModelFamily family = io::ModelFamily::qwen2_vl;  // the model it is laid out for
  std::vector<int64_t> indices;      // dataset record of each row, in row order (a packed row's records in its order)
  at::Tensor input_ids;              // [B, T] int64, right-padded with the pad id
  at::Tensor attention_mask;         // [B, T] int64: 1 on tokens, 0 on padding
  at::Tensor labels;                 // [B, T] int64: the id where learned, kIgnoreIndex elsewhere; undefined for CLIP
  at::Tensor pixel_values;           // float32 (or uint8 with pixel_table), per family as above; undefined: no image in the batch
  at::Tensor pixel_table;            // uint8 pixel_values: float32 [C, 256], each channel value normalised; undefined otherwise
  at::Tensor real_tiles;             // Idefics3 with uint8 pixel_values: [B, Nmax] bool, the tiles that are images (not padding, not all zero once normalised)
  at::Tensor image_grid_thw;         // Qwen: [images, 3] int64
  at::Tensor pixel_attention_mask;   // Idefics3: [B, Nmax, H, W] int64
  int64_t label_tokens = 0;          // tokens that carry loss: labels[:, 1:] != kIgnoreIndex (what the shifted loss averages over); 0 for CLIP
  int64_t epoch = -1;                // set by BatchLoader: the epoch it belongs to
  int64_t step = -1;                 // set by BatchLoader: its index within the epoch
  int64_t pairs = 0;                 // preference batches: rows [0, pairs) chosen, [pairs, 2 pairs) rejected; 0 otherwise
  at::Tensor segment_ids;            // packed rows (data/packing.h): [B, T] int64, each token's sample in its row from 1, 0 on padding; undefined otherwise
  bool isolated_segments = false;    // packed samples attend only to themselves (neat_packing; set by the loader)
};

// Collates `examples` (at least one) for a `family` model. Throws vltune::Error naming the rows
// when their images cannot share a batch (LLaVA/CLIP images of different sizes), or when
// preference examples and plain ones are mixed.
Batch collate(std::span<const EncodedExample> examples, io::ModelFamily family, text::TokenId pad_id);

// labels[:, 1:] != kIgnoreIndex, counted. labels: [B, T] int64.
int64_t count_label_tokens(const at::Tensor& labels);

// Page-locks the tensors of `batch` that data::*_inputs send to a device (input_ids,
// attention_mask, pixel_values, pixel_table) when this build and machine have CUDA; nothing otherwise. Done on
// a loader's worker thread (LoaderParams::pin_memory), the trainer's sends are then queued copies.
void pin_device_inputs(Batch& batch);

}  // namespace vltune::data
