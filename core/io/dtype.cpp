#include "core/io/dtype.h"

#include <array>
#include <utility>

#include "core/error.h"
#include "core/torch_compat.h"

namespace vltune::io {
namespace {

struct DTypeRow {
  DType dtype;
  const char* name;
  size_t size;
};

constexpr std::array<DTypeRow, 15> kRows{{
    {DType::BOOL, "BOOL", 1},     {DType::U8, "U8", 1},     {DType::I8, "I8", 1},
    {DType::I16, "I16", 2},       {DType::U16, "U16", 2},   {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},     {DType::I32, "I32", 4},   {DType::U32, "U32", 4},
    {DType::F32, "F32", 4},       {DType::F64, "F64", 8},   {DType::I64, "I64", 8},
    {DType::U64, "U64", 8},       {DType::F8_E4M3, "F8_E4M3", 1},
    {DType::F8_E5M2, "F8_E5M2", 1},
}};

const DTypeRow& row(DType dtype) {
  for (const auto& r : kRows)
    if (r.dtype == dtype) return r;
  return kRows[0];  // unreachable: every enumerator has a row
}

}  // namespace

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const auto& r : kRows)
    if (name == r.name) return r.dtype;
  return std::nullopt;
}

const char* dtype_name(DType dtype) { return row(dtype).name; }
size_t dtype_size(DType dtype) { return row(dtype).size; }

std::optional<c10::ScalarType> to_scalar_type(DType dtype) {
  switch (dtype) {
    case DType::BOOL: return c10::ScalarType::Bool;
    case DType::U8: return c10::ScalarType::Byte;
    case DType::I8: return c10::ScalarType::Char;
    case DType::I16: return c10::ScalarType::Short;
    case DType::F16: return c10::ScalarType::Half;
    case DType::BF16: return c10::ScalarType::BFloat16;
    case DType::I32: return c10::ScalarType::Int;
    case DType::F32: return c10::ScalarType::Float;
    case DType::F64: return c10::ScalarType::Double;
    case DType::I64: return c10::ScalarType::Long;
#if VLTUNE_HAS_UINT_WIDE
    case DType::U16: return c10::ScalarType::UInt16;
    case DType::U32: return c10::ScalarType::UInt32;
    case DType::U64: return c10::ScalarType::UInt64;
#else
    case DType::U16:
    case DType::U32:
    case DType::U64: return std::nullopt;
#endif
#if VLTUNE_HAS_FLOAT8
    case DType::F8_E4M3: return c10::ScalarType::Float8_e4m3fn;
    case DType::F8_E5M2: return c10::ScalarType::Float8_e5m2;
#else
    case DType::F8_E4M3:
    case DType::F8_E5M2: return std::nullopt;
#endif
  }
  return std::nullopt;
}

DType from_scalar_type(c10::ScalarType type) {
  for (const auto& r : kRows) {
    auto st = to_scalar_type(r.dtype);
    if (st && *st == type) return r.dtype;
  }
  throw FormatError(std::string("tensor type ") + c10::toString(type) +
                    " cannot be stored in safetensors");
}

}  // namespace vltune::io
