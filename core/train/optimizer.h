#pragma once
// AdamW exactly as torch.optim.AdamW (amsgrad off, as in PyTorch 2.x; the multi-tensor path's
// operations, element by element the same as its single-tensor loop):
//   p      *= 1 - lr * weight_decay                  (decoupled weight decay)
//   m       = lerp(m, g, 1 - beta1)                  (= beta1 * m + (1 - beta1) * g)
//   v       = beta2 * v + (1 - beta2) * g * g
//   p      -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// with the scalars computed in double as Python does and t counted per parameter. Written here
// rather than wrapping torch::optim::AdamW (whose C++ default weight_decay is 1e-2 and whose
// moment update differs in rounding from Python's lerp) so that its state is plain tensors that a
// checkpoint saves by parameter name. A parameter without a gradient is skipped, as in torch.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <ATen/core/ATen_fwd.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Scalar.h>

namespace vltune::train {

struct AdamWParams {
  double beta1 = 0.9;   // first-moment decay (adam_beta1)
  double beta2 = 0.999; // second-moment decay (adam_beta2)
  double eps = 1e-8;    // added outside the square root (adam_epsilon)
  // Elements per multi-tensor pass (at least one parameter each): the pass's sqrt(v) temporary is
  // this big, 64 MB in float32, not the size of every trained parameter (0.6 GB for a 7B's r=64 LoRA).
  int64_t foreach_elements = int64_t{16} << 20;
};

// Parameters sharing a learning rate and weight decay (torch's param_groups).
struct OptimizerGroup {
  std::string name;                  // for messages and the log ("decay", "lora_b", ...)
  std::vector<std::string> names;    // each parameter's name (checkpoint keys), same order as params
  std::vector<at::Tensor> params;    // float32 leaves
  double lr = 1e-3;                  // base learning rate (the schedule multiplies it)
  double weight_decay = 0.0;         // decoupled weight decay
};

class AdamW {
 public:
  // Throws vltune::Error for a parameter that is not floating point or named twice.
  AdamW(std::vector<OptimizerGroup> groups, AdamWParams params = {});

  // One update with every group's lr multiplied by `lr_factor` (the schedule's multiplier).
  void step(double lr_factor = 1.0);
  // Drops every gradient (torch's zero_grad(set_to_none=True)).
  void zero_grad();

  const std::vector<OptimizerGroup>& groups() const { return m_groups; }
  // Steps taken by the first parameter with state (0 before the first step).
  int64_t step_count() const;

  // optimizer.safetensors: "<name>.exp_avg", "<name>.exp_avg_sq" per parameter with state and
  // the per-parameter step counts in the metadata. Atomic.
  void save(const std::filesystem::path& file) const;
  // Reads back what save() wrote; every saved name must be a parameter here and match its shape.
  // Throws FileError / FormatError naming the file and the tensor.
  void load(const std::filesystem::path& file);

 private:
  // The multi-tensor AdamW update of one pass (torch.optim's _multi_tensor_adamw); the lists
  // side by side, one scalar of each list per parameter.
  void update(at::TensorList params, at::TensorList grads, at::TensorList exp_avgs, at::TensorList exp_avg_sqs,
              at::ArrayRef<at::Scalar> step_sizes, at::ArrayRef<at::Scalar> bias_correction2_sqrts,
              double lr_times_decay) const;

  struct State {
    int64_t step = 0;      // updates of this parameter
    at::Tensor exp_avg;    // m, like the parameter (undefined before the first step)
    at::Tensor exp_avg_sq; // v
  };

  std::vector<OptimizerGroup> m_groups;
  AdamWParams m_params;
  std::vector<std::vector<State>> m_state;  // [group][param]
};

}  // namespace vltune::train
