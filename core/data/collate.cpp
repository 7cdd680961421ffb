#include "core/data/collate.h"

#include <algorithm>
#include <string>

#include <ATen/ATen.h>

#include "core/device_transfer.h"
#include "core/error.h"
#include "core/text/supervised_encoding.h"

namespace vltune::data {

namespace {

std::string rows_text(std::span<const EncodedExample> examples) {
  std::string out;
  for (const auto& e : examples) out += (out.empty() ? "" : ", ") + e.where;
  return out;
}

// Whether a uint8 tile [C, H, W] is not all zero once normalised through `table` [C, 256] (the
// reference drops all-zero tiles as padding), scanned until the first value that is not.
bool normalises_to_nonzero(const at::Tensor& tile, const at::Tensor& table) {
  const int64_t channels = tile.size(0), plane = tile.size(1) * tile.size(2);
  const at::Tensor t = tile.contiguous();
  const uint8_t* p = t.data_ptr<uint8_t>();
  const float* lut = table.data_ptr<float>();
  for (int64_t c = 0; c < channels; ++c) {
    bool nonzero[256];
    for (int v = 0; v < 256; ++v) nonzero[v] = !(lut[c * 256 + v] == 0.0f);
    const uint8_t* row = p + c * plane;
    for (int64_t i = 0; i < plane; ++i)
      if (nonzero[row[i]]) return true;
  }
  return false;
}

// [B, Nmax, C, H, W] and [B, Nmax, H, W] from each sample's [n, C, h, w] tiles and [n, h, w] mask
// (uint8 tiles: also which are real, as the model would find them once normalised).
void pad_tiles(std::span<const EncodedExample> examples, Batch& batch) {
  int64_t n = 0, c = 0, h = 0, w = 0;
  for (const auto& e : examples)
    if (e.pixel_values.defined()) {
      n = std::max(n, e.pixel_values.size(0));
      c = e.pixel_values.size(1);
      h = std::max(h, e.pixel_values.size(2));
      w = std::max(w, e.pixel_values.size(3));
    }
  if (n == 0) return;
  const auto b = static_cast<int64_t>(examples.size());
  const bool raw = batch.pixel_table.defined();
  batch.pixel_values = at::zeros({b, n, c, h, w}, raw ? at::kByte : at::kFloat);
  batch.pixel_attention_mask = at::zeros({b, n, h, w}, at::kLong);
  if (raw) batch.real_tiles = at::zeros({b, n}, at::kBool);
  for (int64_t i = 0; i < b; ++i) {
    const auto& e = examples[static_cast<size_t>(i)];
    if (!e.pixel_values.defined()) continue;
    const at::Tensor& t = e.pixel_values;  // [n_i, C, h_i, w_i]
    if (raw && (t.size(2) != h || t.size(3) != w))  // a zero pad would not stay zero once normalised
      throw Error(e.where + ": uint8 tiles of different sizes cannot share a batch");
    batch.pixel_values[i].narrow(0, 0, t.size(0)).narrow(2, 0, t.size(2)).narrow(3, 0, t.size(3)).copy_(t);
    if (raw) {
      auto real = batch.real_tiles.accessor<bool, 2>();
      for (int64_t k = 0; k < t.size(0); ++k) real[i][k] = normalises_to_nonzero(t[k], batch.pixel_table);
    }
    batch.pixel_attention_mask[i]
        .narrow(0, 0, t.size(0))
        .narrow(1, 0, t.size(2))
        .narrow(2, 0, t.size(3))
        .copy_(e.pixel_attention_mask);
  }
}

}  // namespace

int64_t count_label_tokens(const at::Tensor& labels) {
  if (!labels.defined() || labels.size(1) < 2) return 0;
  return labels.narrow(1, 1, labels.size(1) - 1).ne(text::kIgnoreIndex).sum().item<int64_t>();
}

Batch collate(std::span<const EncodedExample> examples, io::ModelFamily family, text::TokenId pad_id) {
  if (examples.empty()) throw Error("collate: a batch needs at least one example");
  const auto paired = std::count_if(examples.begin(), examples.end(),
                                    [](const EncodedExample& e) { return !e.rejected_input_ids.empty(); });
  if (paired > 0) {
    if (paired != static_cast<std::ptrdiff_t>(examples.size()))
      throw Error("rows " + rows_text(examples) + ": preference pairs and plain samples cannot share a batch");
    // Two rows per pair: every chosen sequence, then every rejected one (same images, shared tensors).
    std::vector<EncodedExample> rows(examples.begin(), examples.end());
    for (const EncodedExample& e : examples) {
      EncodedExample& r = rows.emplace_back(e);
      r.input_ids = e.rejected_input_ids;
      r.labels = e.rejected_labels;
    }
    for (EncodedExample& r : rows) {
      r.rejected_input_ids.clear();
      r.rejected_labels.clear();
    }
    Batch batch = collate(rows, family, pad_id);
    batch.pairs = static_cast<int64_t>(examples.size());
    return batch;
  }
  Batch batch;
  batch.family = family;
  const auto b = static_cast<int64_t>(examples.size());
  size_t t = 0;
  for (const auto& e : examples) t = std::max(t, e.input_ids.size());
  const bool with_labels = family != io::ModelFamily::clip;
  batch.input_ids = at::full({b, static_cast<int64_t>(t)}, static_cast<int64_t>(pad_id), at::kLong);
  batch.attention_mask = at::zeros({b, static_cast<int64_t>(t)}, at::kLong);
  if (with_labels) batch.labels = at::full({b, static_cast<int64_t>(t)}, int64_t{text::kIgnoreIndex}, at::kLong);
  const auto packed = std::count_if(examples.begin(), examples.end(),
                                    [](const EncodedExample& e) { return !e.packed_lengths.empty(); });
  if (packed > 0 && packed != static_cast<std::ptrdiff_t>(examples.size()))
    throw Error("rows " + rows_text(examples) + ": packed rows and single samples cannot share a batch");
  if (packed > 0) batch.segment_ids = at::zeros({b, static_cast<int64_t>(t)}, at::kLong);
  auto ids = batch.input_ids.accessor<int64_t, 2>();
  auto mask = batch.attention_mask.accessor<int64_t, 2>();
  for (int64_t i = 0; i < b; ++i) {
    const auto& e = examples[static_cast<size_t>(i)];
    if (packed > 0) {
      batch.indices.insert(batch.indices.end(), e.packed_indices.begin(), e.packed_indices.end());
      auto seg = batch.segment_ids.accessor<int64_t, 2>();
      int64_t column = 0, number = 0;
      for (int64_t length : e.packed_lengths) {
        ++number;
        for (int64_t k = 0; k < length; ++k) seg[i][column++] = number;
      }
      if (column != static_cast<int64_t>(e.input_ids.size()))
        throw Error(e.where + ": packed lengths sum to " + std::to_string(column) + ", the row has " +
                    std::to_string(e.input_ids.size()) + " ids");
    } else {
      batch.indices.push_back(e.index);
    }
    if (with_labels && e.labels.size() != e.input_ids.size())
      throw Error(e.where + ": " + std::to_string(e.labels.size()) + " labels for " + std::to_string(e.input_ids.size()) + " ids");
    for (size_t j = 0; j < e.input_ids.size(); ++j) {
      ids[i][static_cast<int64_t>(j)] = e.input_ids[j];
      mask[i][static_cast<int64_t>(j)] = 1;
    }
    if (with_labels) {
      auto labels = batch.labels.accessor<int64_t, 2>();
      for (size_t j = 0; j < e.labels.size(); ++j) labels[i][static_cast<int64_t>(j)] = e.labels[j];
    }
  }
  batch.label_tokens = with_labels ? count_label_tokens(batch.labels) : 0;

  std::vector<at::Tensor> pixels, grids;
  for (const auto& e : examples) {
    if (e.pixel_values.defined()) pixels.push_back(e.pixel_values);
    if (e.image_grid_thw.defined()) grids.push_back(e.image_grid_thw);
  }
  if (pixels.empty()) return batch;
  for (const auto& e : examples) {
    if (!e.pixel_values.defined()) continue;
    const bool raw = e.pixel_values.scalar_type() == at::kByte;
    if (raw != (pixels.front().scalar_type() == at::kByte) || raw != e.pixel_table.defined())
      throw Error("rows " + rows_text(examples) + ": normalised and uint8 pixels cannot share a batch");
    if (raw && !batch.pixel_table.defined()) batch.pixel_table = e.pixel_table;
  }
  switch (family) {
    case io::ModelFamily::qwen2_vl:
    case io::ModelFamily::qwen2_5_vl:
      batch.pixel_values = at::cat(pixels, 0);    // [rows, C*T*P*P]
      batch.image_grid_thw = at::cat(grids, 0);   // [images, 3]
      break;
    case io::ModelFamily::llava:
    case io::ModelFamily::clip:
      for (const auto& p : pixels)
        if (p.sizes().slice(1) != pixels.front().sizes().slice(1))
          throw Error("rows " + rows_text(examples) + ": their images have different processed sizes and cannot "
                      "share a batch");
      if (family == io::ModelFamily::clip && static_cast<int64_t>(pixels.size()) != b)
        throw Error("rows " + rows_text(examples) + ": CLIP needs one image per caption");
      batch.pixel_values = at::cat(pixels, 0);    // [N, C, H, W]
      break;
    case io::ModelFamily::idefics3:
      pad_tiles(examples, batch);
      break;
  }
  return batch;
}

void pin_device_inputs(Batch& batch) {
  for (at::Tensor* t : {&batch.input_ids, &batch.attention_mask, &batch.pixel_values, &batch.pixel_table}) *t = pinned_if_cuda(*t);
}

}  // namespace vltune::data
