#include "core/text/byte_level.h"

#include <unordered_map>

#include "core/text/utf8.h"

namespace vltune::text::byte_level {

namespace {

struct Table {
  std::array<std::string, 256> chars;             // byte -> UTF-8 of its character
  std::unordered_map<char32_t, uint8_t> bytes;     // character -> byte

  Table() {
    // bytes_to_unicode(): printable Latin-1 ranges map to themselves, the rest to 256 + n.
    std::array<char32_t, 256> cp{};
    std::array<bool, 256> kept{};
    for (int b = '!'; b <= '~'; ++b) kept[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b) kept[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b) kept[b] = true;
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) cp[b] = kept[b] ? static_cast<char32_t>(b) : next++;
    for (int b = 0; b < 256; ++b) {
      utf8::append(chars[b], cp[b]);
      bytes.emplace(cp[b], static_cast<uint8_t>(b));
    }
  }
};

const Table& table() {
  static const Table t;
  return t;
}

}  // namespace

const std::string& char_for_byte(uint8_t b) { return table().chars[b]; }

void append_encoded(std::string& out, std::string_view bytes) {
  const Table& t = table();
  for (char c : bytes) out.append(t.chars[static_cast<uint8_t>(c)]);
}

std::optional<uint8_t> byte_for_char(char32_t c) {
  const Table& t = table();
  auto it = t.bytes.find(c);
  if (it == t.bytes.end()) return std::nullopt;
  return it->second;
}

}  // namespace vltune::text::byte_level
