#pragma once
// What a predict run opens before predicting, shared by `vltune-cli predict` and the desktop app's
// Evaluate page: the eval data read and validated with the model's own template and image
// arithmetic, the records to predict (bad rows refused or left out, max_samples per dataset), the
// model with its adapters all active, and the model's generation defaults with the chat's stop ids.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/sample_encoder.h"
#include "core/data/validation.h"
#include "core/gen/generation_params.h"
#include "core/lora/lora_factory.h"
#include "core/lora/lora_model.h"

namespace vltune::eval {

struct PredictDataParams {
  std::filesystem::path model_dir;    // the model whose tokenizer, template and processor encode the samples
  std::filesystem::path dataset_dir;  // a dataset folder (dataset_info.json, ...) or file
  data::OpenOptions open;             // which datasets by name (empty: all), media_dir
  data::EncoderParams encoder;        // template, cutoff_len, image pre-resize
};

struct PredictData {
  data::Dataset dataset;                         // every record read
  std::unique_ptr<data::SampleEncoder> encoder;  // the model's
  data::DatasetReport report;                    // the problems found with that encoder's template
};

// Reads and validates the data. Throws FileError / FormatError (open_dataset, the encoder) and
// vltune::Error for a CLIP model (it generates no answers).
PredictData open_predict_data(const PredictDataParams& params);

// The records to predict, in order: those usable under `policy` (stop: throws FormatError listing
// the bad rows; skip: `skipped` says how many were left out), at most `max_samples` of each
// dataset (LLaMA-Factory caps per dataset).
std::vector<int64_t> predict_samples(const PredictData& data, data::ProblemPolicy policy,
                                     std::optional<int64_t> max_samples, int64_t* skipped = nullptr);

// The model of `model_dir` on `placement` with every adapter of `adapter_dirs` loaded and active
// ("default", "adapter_1", ...), as LLaMA-Factory merges them all for inference.
std::unique_ptr<lora::LoraModel> open_predict_model(const std::filesystem::path& model_dir,
                                                    const std::vector<std::filesystem::path>& adapter_dirs,
                                                    const lora::ModelPlacement& placement = {});


}  // namespace vltune::eval
