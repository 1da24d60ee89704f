#include "launch/console.hpp"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string_view>

#include "util/error.hpp"
#include "util/fd_passing.hpp"
#include "util/sys.hpp"
#include "util/unix_socket.hpp"

namespace boxrt {

unique_fd connect_console_socket(const std::string& path) {
  return connect_unix_named(path, SOCK_STREAM, "console socket");
}

OwnConsole::OwnConsole() {
  int sv[2];
  check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), "socketpair");
  ours.reset(sv[0]);
  theirs.reset(sv[1]);
}

unique_fd OwnConsole::receive_master() {
  return receive_fd(ours.get(), "the container's pty");
}

RawTerminal::RawTerminal(int fd) : fd_(fd) {
  if (!::isatty(fd) || ::tcgetattr(fd, &saved_) != 0) return;
  struct termios raw = saved_;
  ::cfmakeraw(&raw);
  active_ = ::tcsetattr(fd, TCSANOW, &raw) == 0;
}

RawTerminal::~RawTerminal() {
  if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
}

void copy_window_size(int from, int to) {
  struct winsize ws;
  if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(to, TIOCSWINSZ, &ws);
}

bool relay(int from, int to) {
  char buf[16384];
  ssize_t n = retry_eintr([&] { return ::read(from, buf, sizeof buf); });
  if (n <= 0) return false;
  try {
    write_all(to, std::string_view(buf, static_cast<size_t>(n)), "terminal");
  } catch (const Error&) {
    return false;
  }
  return true;
}

}  // namespace boxrt
