#pragma once
// The engine's on/off switches, all in one table (env_switch.cpp): speed-ups that can be compared
// with and without, or turned off should one misbehave on some driver or card. An environment
// variable sets each for the process: "1" on, "0" off, anything else, or nothing, its default;
// set_switch() changes it later (tests, benchmarks). Each module keeps its own named accessor
// (models::train_graphs_enabled() and the like) over this. VLTUNE_FUSED_KERNELS is a three-way
// setting of its own (off, half precisions, all dtypes: kernels/fused_ops.h).

#include <string>

namespace vltune {

enum class Switch : int {
  train_graphs,              // VLTUNE_TRAIN_GRAPHS: the training decoder stack replayed as CUDA graphs
  checkpoint_graphs,         // VLTUNE_CHECKPOINT_GRAPHS: ... the checkpointed stack too
  cuda_graphs,               // VLTUNE_CUDA_GRAPHS: decode steps replayed as CUDA graphs
  merged_products,           // VLTUNE_MERGED_PRODUCTS: q/k/v and gate/up as one product each
  compact_autograd,          // VLTUNE_COMPACT_AUTOGRAD: RMSNorm/SwiGLU as one autograd node each
  fused_attention,           // VLTUNE_FUSED_ATTENTION: the fused decode attention kernel
  attention_batched_values,  // VLTUNE_ATTENTION_BATCHED_VALUES: its value pass 8 rows at a time
  decode_gemv,               // VLTUNE_DECODE_GEMV: the decode GEMV kernel for 1-4 rows
  count,
};

struct SwitchInfo {
  const char* name;  // the environment variable
  bool fallback;     // the default, where the variable is unset or neither "0" nor "1"
};

const SwitchInfo& switch_info(Switch s);

// The environment's setting at the first use, or the last set_switch().
bool switch_on(Switch s);
void set_switch(Switch s, bool on);

// The switches now away from their defaults, "VLTUNE_DECODE_GEMV=0 VLTUNE_TRAIN_GRAPHS=0" (in the
// table's order), or "" where none is: what a log or a benchmark's record says it ran with.
std::string switches_changed();

}  // namespace vltune
