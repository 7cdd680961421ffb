#pragma once
// While a SkipLinearInit lives on this thread, a new LoraLinear leaves its weight and bias
// uninitialised (torch::empty) instead of drawing torch's kaiming-uniform init. The checkpoint
// loaders construct a model whose every linear weight the checkpoint then replaces: skipping the
// init saves its time (seconds for a 7B model, on one core) and, more, the float32 pages it would
// touch (33 GB for a 7B model) before the weights are loaded in their own dtype, as transformers'
// no_init_weights does.

namespace vltune::lora {

class SkipLinearInit {
 public:
  SkipLinearInit();
  ~SkipLinearInit();
  SkipLinearInit(const SkipLinearInit&) = delete;
  SkipLinearInit& operator=(const SkipLinearInit&) = delete;

 private:
  bool m_previous;
};

// Whether a SkipLinearInit is alive on this thread.
bool linear_init_skipped();

}  // namespace vltune::lora
