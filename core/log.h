#pragma once
// A replaceable log sink (after mtmd's mtmd_log_set): stderr by default; the GUI installs its own.

#include <functional>
#include <string_view>

namespace vltune {

enum class LogLevel { Debug, Info, Warning, Error };

using LogSink = std::function<void(LogLevel level, std::string_view message)>;

// Installs `sink` for all later messages; an empty function restores the stderr sink.
// Thread-safe; the sink itself may be called from any thread.
void set_log_sink(LogSink sink);

// Messages below `level` are dropped before reaching the sink (default: Info).
void set_log_level(LogLevel level);

void log(LogLevel level, std::string_view message);
inline void log_info(std::string_view message) { log(LogLevel::Info, message); }
inline void log_warning(std::string_view message) { log(LogLevel::Warning, message); }

}  // namespace vltune
