#pragma once
// `vltune-cli predict <config.yaml>`: LLaMA-Factory's predict run (`llamafactory-cli train` with
// do_predict and predict_with_generate) headless: every eval_dataset sample answered by the model
// (with adapter_name_or_path's adapters), scored with BLEU-4 and ROUGE, and LLaMA-Factory's files
// written into output_dir (core/eval/predict_runner.h).

#include <string>
#include <vector>

namespace vltune::cli {

// args: everything after "predict". Returns the exit code (0 done, 1 failed, 2 bad usage or
// config, 130 stopped by Ctrl-C: the files cover the samples done).
int run_predict(const std::vector<std::string>& args);

}  // namespace vltune::cli
