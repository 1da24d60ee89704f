#include "util/log.hpp"

namespace boxrt {
namespace {

LogSink g_sink = nullptr;
LogLevel g_threshold = LogLevel::warning;

}  // namespace

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warning:
      return "warning";
    case LogLevel::error:
      return "error";
  }
  return "unknown";
}

void set_log_sink(LogSink sink, LogLevel threshold) {
  g_sink = sink;
  g_threshold = threshold;
}

bool log_enabled(LogLevel level) {
  return g_sink && level >= g_threshold;
}

void log_message(LogLevel level, std::string_view message) {
  if (log_enabled(level)) g_sink(level, message);
}

}  // namespace boxrt
