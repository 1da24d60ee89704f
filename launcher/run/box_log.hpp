// A detached box's output (boxapp run -d): its stdout and stderr go through a pipe to a
// logger process of its own, which writes $XDG_STATE_HOME/boxapp/logs/NAME.log, so the
// caller's terminal or pipe is let go at once. Capped: past kBoxLogCap bytes the file
// becomes NAME.log.1 (replacing the one before) and a new one begins; what `boxapp logs`
// shows is those two.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "util/unique_fd.hpp"

namespace boxapp {

constexpr size_t kBoxLogCap = 1 << 20;

std::string box_log_path(const std::string& name);

// Starts the box's logger, its log begun anew; the pipe's write end, for the box's stdout
// and stderr. The logger exits when every process holding it has closed it.
boxrt::unique_fd start_box_log(const std::string& name);

void remove_box_log(const std::string& name);

struct LogOptions {
  bool follow = false;         // then keep printing what comes, until the box has stopped
  std::optional<size_t> tail;  // only the last N lines
};
// Writes the box's log to out_fd; `running` says whether it may still grow. Throws when the
// box has none (it never ran detached).
void print_box_log(const std::string& name, const LogOptions& options,
                   const std::function<bool()>& running, int out_fd);

}  // namespace boxapp
