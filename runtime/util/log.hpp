// Logging for libboxrt: the library says what it does; whoever embeds it (the CLI, boxapp)
// decides where that goes by installing a sink. Without one, nothing is printed.
#pragma once

#include <string>
#include <string_view>

namespace boxrt {

enum class LogLevel { debug, info, warning, error };

std::string_view to_string(LogLevel level);

using LogSink = void (*)(LogLevel level, std::string_view message);

// Messages below `threshold` are dropped before they are formatted.
void set_log_sink(LogSink sink, LogLevel threshold);
bool log_enabled(LogLevel level);
void log_message(LogLevel level, std::string_view message);

inline void log_debug(std::string_view m) {
  log_message(LogLevel::debug, m);
}
inline void log_warning(std::string_view m) {
  log_message(LogLevel::warning, m);
}

}  // namespace boxrt
