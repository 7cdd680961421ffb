#pragma once
// The check every image processor makes of its preprocessor_config.json.

#include <string>

#include "core/io/aux_configs.h"

namespace vltune::vision {

// Throws FormatError naming preprocessor_config.json unless `config` is for `kind` (`not_kind`
// ends the message, e.g. "is not a CLIP image processor (CLIPImageProcessor)") and, when it
// resizes, asks for a filter the reference runs as bicubic: PIL 3 (BICUBIC) or 1 (LANCZOS, which
// the torchvision backend does as bicubic; see the fixtures README). `resample_note` ends that
// message.
void check_bicubic_processor(const io::PreprocessorConfig& config, io::ImageProcessorKind kind,
                             const std::string& not_kind, const std::string& resample_note);

}  // namespace vltune::vision
