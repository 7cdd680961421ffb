#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace vltune {
namespace {

std::mutex g_sink_mutex;
LogSink g_sink;  // empty: stderr
std::atomic<int> g_min_level{static_cast<int>(LogLevel::Info)};

const char* level_tag(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
  }
  return "?";
}

}  // namespace

void set_log_sink(LogSink sink) {
  std::lock_guard lock(g_sink_mutex);
  g_sink = std::move(sink);
}

void set_log_level(LogLevel level) { g_min_level = static_cast<int>(level); }

void log(LogLevel level, std::string_view message) {
  if (static_cast<int>(level) < g_min_level) return;
  std::lock_guard lock(g_sink_mutex);
  if (g_sink) {
    g_sink(level, message);
    return;
  }
  std::fprintf(stderr, "vltune %s: %.*s\n", level_tag(level), static_cast<int>(message.size()),
               message.data());
}

}  // namespace vltune
