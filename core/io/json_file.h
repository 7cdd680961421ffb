#pragma once
// Reading JSON files with errors that name the file, and typed access with errors that name the key.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

namespace vltune::io {

using Json = nlohmann::json;

// Parses `path` as JSON. Throws FileError if it cannot be read, FormatError (naming the file and
// the byte offset) if it is not valid JSON.
Json read_json_file(const std::filesystem::path& path);

// Parses `text` as JSON; `label` names where it came from in error messages.
Json parse_json(std::string_view text, const std::string& label);

// Writes `value` to `path` atomically (temp file in the same folder, fsync, rename), indented.
void write_json_file_atomic(const std::filesystem::path& path, const Json& value);

// Writes `bytes` to `path` atomically: a temp file in the same folder, fsync, rename, fsync of
// the folder. On any failure the temp file is removed and an existing `path` is left untouched.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

[[noreturn]] void throw_missing_key(std::string_view key, const std::string& where);
[[noreturn]] void throw_wrong_type(std::string_view key, const std::string& where,
                                   const char* expected, const Json& got);
// A present key of the right type whose value is unacceptable: "<where>: key "<key>" <what>".
[[noreturn]] void throw_bad_value(std::string_view key, const std::string& where,
                                  const std::string& what);

namespace detail {
template <typename T>
struct JsonReader;  // specialised below for the types configs use
}

// Typed lookups inside an object. `where` names the file (and section) for the error message,
// e.g. ".../config.json: text_config".
// Returns nullopt when the key is absent or null; throws FormatError when present with the wrong type.
template <typename T>
std::optional<T> get_optional(const Json& object, std::string_view key, const std::string& where) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  return detail::JsonReader<T>::read(*it, key, where);
}

// Like get_optional but an absent/null key throws FormatError naming the key.
template <typename T>
T get_required(const Json& object, std::string_view key, const std::string& where) {
  auto value = get_optional<T>(object, key, where);
  if (!value) throw_missing_key(key, where);
  return *value;
}

// Returns the value, or `fallback` when absent/null.
template <typename T>
T get_or(const Json& object, std::string_view key, T fallback, const std::string& where) {
  auto value = get_optional<T>(object, key, where);
  return value ? std::move(*value) : std::move(fallback);
}

// Config readers fill structs that already hold the defaults; these overwrite only what is given.

// Overwrites `field` when `key` is present and not null.
template <typename T>
void read_into(T& field, const Json& object, std::string_view key, const std::string& where) {
  if (auto value = get_optional<T>(object, key, where)) field = std::move(*value);
}

// For ids that may be null on purpose: absent keeps `field`, null clears it.
void read_nullable_id(std::optional<int64_t>& field, const Json& object, std::string_view key,
                      const std::string& where);

// An id or a list of ids (eos_token_id): absent keeps `field`, null clears it.
void read_token_ids(std::vector<int64_t>& field, const Json& object, std::string_view key,
                    const std::string& where);

namespace detail {

template <>
struct JsonReader<bool> {
  static bool read(const Json& v, std::string_view key, const std::string& where) {
    if (!v.is_boolean()) throw_wrong_type(key, where, "a boolean", v);
    return v.get<bool>();
  }
};

template <>
struct JsonReader<int64_t> {
  static int64_t read(const Json& v, std::string_view key, const std::string& where) {
    if (v.is_number_integer()) return v.get<int64_t>();
    // Python writes some integers as 1e+30 style floats (model_max_length); accept exact ones.
    if (v.is_number_float()) {
      double d = v.get<double>();
      if (d == static_cast<double>(static_cast<int64_t>(d)) && d > -9.2e18 && d < 9.2e18)
        return static_cast<int64_t>(d);
    }
    throw_wrong_type(key, where, "an integer", v);
  }
};

template <>
struct JsonReader<double> {
  static double read(const Json& v, std::string_view key, const std::string& where) {
    if (!v.is_number()) throw_wrong_type(key, where, "a number", v);
    return v.get<double>();
  }
};

template <>
struct JsonReader<std::string> {
  static std::string read(const Json& v, std::string_view key, const std::string& where) {
    if (!v.is_string()) throw_wrong_type(key, where, "a string", v);
    return v.get<std::string>();
  }
};

template <typename E>
struct JsonReader<std::vector<E>> {
  static std::vector<E> read(const Json& v, std::string_view key, const std::string& where) {
    if (!v.is_array()) throw_wrong_type(key, where, "an array", v);
    std::vector<E> out;
    out.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string element_key = std::string(key) + "[" + std::to_string(i) + "]";
      out.push_back(JsonReader<E>::read(v[i], element_key, where));
    }
    return out;
  }
};

}  // namespace detail
}  // namespace vltune::io
