// The container's terminal: sent to the caller's --console-socket, or kept by the runtime
// and relayed to its own terminal (run -t, exec -t).
#pragma once

#include <termios.h>

#include <string>

#include "util/unique_fd.hpp"

namespace boxrt {

// Connects to --console-socket; the child sends its pty master there.
unique_fd connect_console_socket(const std::string& path);

// A console socket the runtime keeps for itself, for a foreground process with a terminal
// and no --console-socket: the child sends its pty master here and the runtime relays.
struct OwnConsole {
  unique_fd ours, theirs;
  OwnConsole();
  unique_fd receive_master();  // after the child has set up its terminal
};

// Our terminal in raw mode for as long as we relay a container's pty to it.
class RawTerminal {
 public:
  explicit RawTerminal(int fd);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  int fd_;
  struct termios saved_ = {};
  bool active_ = false;
};

void copy_window_size(int from, int to);
// Moves what is readable on `from` to `to`; false at EOF or error.
bool relay(int from, int to);

}  // namespace boxrt
