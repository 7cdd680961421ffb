#pragma once
// safetensors dtype names <-> LibTorch scalar types.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <c10/core/ScalarType.h>

namespace vltune::io {

// Every dtype the safetensors format defines. Some have no LibTorch type in older versions;
// those can be read as raw bytes (tensor_bytes) but not as tensors.
enum class DType { BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64, F8_E4M3, F8_E5M2 };

// "F32" -> DType::F32; nullopt for a name the format does not define.
std::optional<DType> dtype_from_name(std::string_view name);
const char* dtype_name(DType dtype);
// Bytes per element.
size_t dtype_size(DType dtype);

// The LibTorch type, or nullopt when this LibTorch has none (e.g. U32 before 2.3).
std::optional<c10::ScalarType> to_scalar_type(DType dtype);
// The safetensors dtype for a LibTorch type; throws FormatError for types safetensors lacks.
DType from_scalar_type(c10::ScalarType type);

}  // namespace vltune::io
