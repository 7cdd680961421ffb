#include "core/vision/processor_config.h"

#include "core/error.h"

namespace vltune::vision {

void check_bicubic_processor(const io::PreprocessorConfig& config, io::ImageProcessorKind kind,
                             const std::string& not_kind, const std::string& resample_note) {
  const std::string label = "preprocessor_config.json";
  if (config.kind != kind)
    throw FormatError(label + ": image_processor_type \"" + config.image_processor_type + "\" " + not_kind);
  if (config.do_resize && config.resample != 3 && config.resample != 1)
    throw FormatError(label + ": resample " + std::to_string(config.resample) + " is not supported (" + resample_note + ")");
}

}  // namespace vltune::vision
