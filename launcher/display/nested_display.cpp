#include "display/nested_display.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "display/x11.hpp"
#include "display/xauth.hpp"
#include "keeper/box_keeper.hpp"
#include "util/error.hpp"
#include "util/fd_passing.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxapp {
namespace {

using boxrt::Error;

constexpr const char* kXephyr = "/usr/bin/Xephyr";

// Xephyr on display `number` with the box's cookie in `xauthority`; its pid once it listens,
// or -1 when it ended first (the number was taken after all, or no host display).
pid_t start_xephyr(int number, const std::string& xauthority) {
  const std::string display = ":" + std::to_string(number);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(kXephyr, kXephyr, display.c_str(), "-auth", xauthority.c_str(), "-nolisten", "tcp",
            "-screen", "1280x800", "-resizeable", "-title", "boxapp", nullptr);
    ::_exit(127);
  }
  if (pid < 0) return -1;
  const std::string sock = x11_socket(std::to_string(number));
  for (int i = 0; i < 100; ++i) {
    if (boxrt::path_exists(sock)) return pid;
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

// In the keeper: Xephyr on a free display number with a fresh cookie of the box's own in
// `xauthority`; the number, once it listens. `xephyr` is where its pid is kept for stop().
std::string start_nested(const std::string& xauthority, pid_t& xephyr) {
  XauthEntry cookie{kFamilyWild, "", "", "MIT-MAGIC-COOKIE-1", std::string(16, '\0')};
  if (::getrandom(cookie.data.data(), cookie.data.size(), 0) != 16) boxrt::throw_errno("getrandom");
  // Numbers from 100 up: clear of the usual :0..:9 and of test servers; another start may
  // take one between our look and Xephyr's lock, and then the next one is tried.
  int number = 100;
  for (int tries = 0; xephyr < 0 && tries < 20; ++number) {
    const std::string n = std::to_string(number);
    if (boxrt::path_exists(x11_socket(n)) || boxrt::path_exists(x11_lock_file(n))) continue;
    ++tries;
    cookie.number = std::to_string(number);
    write_xauthority(xauthority, cookie);
    xephyr = start_xephyr(number, xauthority);
    if (xephyr > 0) return std::to_string(number);
  }
  throw Error("Xephyr did not start on the user's display");
}

}  // namespace

NestedDisplay NestedDisplay::start(const std::string& box_dir, const HostFacts& host) {
  const std::string field = "display.mode \"x11-isolated\": ";
  if (::access(kXephyr, X_OK) != 0)
    throw Error(field + "Xephyr is not installed (apt-get install xserver-xephyr)");
  if (host.display.empty())
    throw Error(field + "no X display to show the box's own on (DISPLAY is not set)");
  // The keeper runs inside this call (in its copy of our memory) and never returns: these
  // stay there for its helper to use.
  pid_t xephyr = -1;
  const std::string xauthority = box_dir + "/Xauthority";
  BoxKeeper keeper =
      BoxKeeper::start("boxapp-display", {[&] { return start_nested(xauthority, xephyr); },
                                          [&] {
                                            ::kill(xephyr, SIGTERM);
                                            ::waitpid(xephyr, nullptr, 0);
                                          }});
  std::string number;
  try {
    number = keeper.ready(10000);
  } catch (Error& e) {
    throw e.add_context(field.substr(0, field.size() - 2));
  }
  NestedDisplay d;
  d.display_ = ":" + number;
  d.keeper_ = std::move(keeper);
  return d;
}

void NestedDisplay::watch(pid_t box_pid) {
  keeper_.watch(box_pid);
}

}  // namespace boxapp
