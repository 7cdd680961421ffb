#include "core/lora/adapter_state.h"

#include <bit>
#include <functional>
#include <string>

#include "core/lora/lora_linear.h"

namespace vltune::lora {

namespace {

// Mixes `v` into `h` (boost's hash_combine, widened to 64 bits).
void mix(uint64_t& h, uint64_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 12) + (h >> 4); }

uint64_t address_of(const torch::Tensor& t) {
  return t.defined() ? static_cast<uint64_t>(reinterpret_cast<std::uintptr_t>(t.data_ptr())) : 0;
}

}  // namespace

AdapterState adapter_state(const torch::nn::Module& root) {
  AdapterState s;
  const auto visit = [&s](const torch::nn::Module& m) {
    // lora_A_weight() and the like are non-const accessors; nothing is changed here.
    auto* l = dynamic_cast<LoraLinearImpl*>(const_cast<torch::nn::Module*>(&m));
    if (l == nullptr) return;
    mix(s.signature, reinterpret_cast<std::uintptr_t>(l));
    mix(s.signature, l->is_training());
    mix(s.signature, std::bit_cast<uint64_t>(l->scale()));
    mix(s.signature, l->compute_dtype() ? static_cast<uint64_t>(*l->compute_dtype()) + 1 : 0);
    mix(s.signature, l->is_quantized());
    mix(s.signature, address_of(l->weight));
    mix(s.signature, address_of(l->bias));
    for (const auto& name : l->active()) {
      const LoraAdapterParams& p = l->adapter_params(name);
      mix(s.signature, std::hash<std::string>{}(name));
      mix(s.signature, std::bit_cast<uint64_t>(lora_scaling(p)));
      mix(s.signature, std::bit_cast<uint64_t>(p.dropout));
      mix(s.signature, address_of(l->lora_A_weight(name)));  // frozen adapters' too: not among the trained tensors
      mix(s.signature, address_of(l->lora_B_weight(name)));
      if (p.use_dora) mix(s.signature, address_of(l->lora_magnitude(name)));
      if (l->is_training() && p.dropout > 0.0) s.draws_random = true;
    }
    mix(s.signature, l->active().size());
  };
  // Not modules(include_self=true): that needs root to be held by a shared_ptr.
  visit(root);
  for (const auto& m : root.modules(/*include_self=*/false)) visit(*m);
  return s;
}

}  // namespace vltune::lora
