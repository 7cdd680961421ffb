#pragma once
// GPT-2's byte-to-character table: every byte gets a printable character, so byte-level BPE
// vocabularies are plain strings ("Ġ" is the space byte).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vltune::text::byte_level {

// The UTF-8 of the character standing for byte `b`.
const std::string& char_for_byte(uint8_t b);

// Appends the byte-level form of `bytes` (each byte replaced by its character).
void append_encoded(std::string& out, std::string_view bytes);

// The byte a character stands for, or none for characters outside the table.
std::optional<uint8_t> byte_for_char(char32_t c);

}  // namespace vltune::text::byte_level
