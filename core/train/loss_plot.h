#pragma once
// training_loss.png as LLaMA-Factory's plot_loss draws it (extras/ploting.py): the logged values
// faint, their smoothed curve over them, "step" across, the key up, a legend. Drawn here with
// plot_canvas and written with core/io/png_writer: no matplotlib, Qt or OpenCV.

#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace vltune::train {

// LLaMA-Factory's smooth(): an exponential moving average (TensorBoard's) whose weight grows with
// the number of points, 1.8 * (1 / (1 + exp(-0.05 * n)) - 0.5), starting from the first value.
std::vector<double> smooth(std::span<const double> scalars);

// The PNG bytes of a 640 x 480 figure of `values` against `steps` (same length, at least one).
std::string render_loss_plot(std::span<const double> steps, std::span<const double> values, const std::string& title,
                             const std::string& ylabel);

// For each key, the log_history entries of output_dir/trainer_state.json holding it, drawn into
// output_dir/training_<key>.png (a key without values is skipped). Returns the files written.
// Throws FileError / FormatError for trainer_state.json.
std::vector<std::filesystem::path> plot_loss(const std::filesystem::path& output_dir,
                                             const std::vector<std::string>& keys = {"loss"});

}  // namespace vltune::train
