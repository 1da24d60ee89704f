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

[[noreturn]] void keeper_main(int fd, const std::string& xauthority) {
  ::setsid();
  boxrt::set_process_title("boxapp-display");
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE})
    ::signal(sig, SIG_IGN);
  ::prctl(PR_SET_NAME, "boxapp-display");
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int i = 0; i < 3; ++i)
    ::dup2(null, i);
  XauthEntry cookie{kFamilyWild, "", "", "MIT-MAGIC-COOKIE-1", std::string(16, '\0')};
  if (::getrandom(cookie.data.data(), cookie.data.size(), 0) != 16) {
    boxrt::send_message(fd, "failed getrandom");
    ::_exit(1);
  }
  // Numbers from 100 up: clear of the usual :0..:9 and of test servers; another start may
  // take one between our look and Xephyr's lock, and then the next one is tried.
  pid_t xephyr = -1;
  int number = 100;
  for (int tries = 0; xephyr < 0 && tries < 20; ++number) {
    const std::string n = std::to_string(number);
    if (boxrt::path_exists(x11_socket(n)) || boxrt::path_exists(x11_lock_file(n))) continue;
    ++tries;
    cookie.number = std::to_string(number);
    write_xauthority(xauthority, cookie);
    xephyr = start_xephyr(number, xauthority);
    if (xephyr > 0) break;
  }
  if (xephyr < 0) {
    boxrt::send_message(fd, "failed Xephyr did not start on the user's display");
    ::_exit(1);
  }
  boxrt::send_message(fd, "ready " + std::to_string(number));
  int box = 0;
  if (std::sscanf(boxrt::receive_message(fd, -1).c_str(), "%d", &box) == 1 && box > 0) {
    try {
      boxrt::unique_fd pidfd = boxrt::open_pidfd(box);
      struct pollfd p = {pidfd.get(), POLLIN, 0};
      while (pidfd && ::poll(&p, 1, -1) < 0 && errno == EINTR) {
      }
    } catch (const Error&) {
      // gone already
    }
  }
  ::kill(xephyr, SIGTERM);
  ::waitpid(xephyr, nullptr, 0);
  ::_exit(0);
}

}  // namespace

NestedDisplay NestedDisplay::start(const std::string& box_dir, const HostFacts& host) {
  const std::string field = "display.mode \"x11-isolated\": ";
  if (::access(kXephyr, X_OK) != 0)
    throw Error(field + "Xephyr is not installed (apt-get install xserver-xephyr)");
  if (host.display.empty())
    throw Error(field + "no X display to show the box's own on (DISPLAY is not set)");
  int sv[2];
  boxrt::check(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), "socketpair");
  boxrt::unique_fd ours(sv[0]), theirs(sv[1]);
  pid_t pid = boxrt::check(::fork(), "fork the nested display's keeper");
  if (pid == 0) {
    ours.reset();
    keeper_main(theirs.get(), box_dir + "/Xauthority");
  }
  theirs.reset();
  const std::string answer = boxrt::receive_message(ours.get(), 10000);
  int number = 0;
  if (std::sscanf(answer.c_str(), "ready %d", &number) != 1)
    throw Error(field + (answer.rfind("failed ", 0) == 0 ? answer.substr(7)
                                                         : std::string("the keeper died")));
  NestedDisplay d;
  d.display_ = ":" + std::to_string(number);
  d.keeper_ = std::move(ours);
  return d;
}

void NestedDisplay::watch(pid_t box_pid) {
  boxrt::send_message(keeper_.get(), std::to_string(box_pid));
  keeper_.reset();
}

}  // namespace boxapp
