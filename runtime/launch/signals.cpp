#include "launch/signals.hpp"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "launch/console.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"
#include "util/unique_fd.hpp"

namespace boxrt {

ForwardedSignals::ForwardedSignals() {
  sigemptyset(&set_);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGCHLD})
    sigaddset(&set_, sig);
  ::sigprocmask(SIG_BLOCK, &set_, &old_);
}

ForwardedSignals::~ForwardedSignals() {
  ::sigprocmask(SIG_SETMASK, &old_, nullptr);
}

int ForwardedSignals::wait_forwarding(pid_t pid, int pidfd, int pty_master) {
  unique_fd sigfd(::signalfd(-1, &set_, SFD_CLOEXEC));
  if (!sigfd) throw_errno("signalfd");
  std::optional<RawTerminal> raw;
  if (pty_master >= 0) {
    raw.emplace(STDIN_FILENO);
    copy_window_size(STDIN_FILENO, pty_master);
  }
  struct pollfd p[3] = {{sigfd.get(), POLLIN, 0},
                        {pty_master, POLLIN, 0},
                        {pty_master >= 0 ? STDIN_FILENO : -1, POLLIN, 0}};
  int status = 0;
  for (;;) {
    if (::poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!relay(pty_master, STDOUT_FILENO)) p[1].fd = -1;  // EIO: the pty's last user left
    }
    if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!relay(STDIN_FILENO, pty_master)) p[2].fd = -1;
    }
    if (!(p[0].revents & POLLIN)) continue;
    struct signalfd_siginfo si;
    if (::read(sigfd.get(), &si, sizeof si) != sizeof si) continue;
    int sig = static_cast<int>(si.ssi_signo);
    if (sig == SIGCHLD) {
      if (::waitpid(pid, &status, WNOHANG) == pid) break;
      continue;
    }
    if (sig == SIGWINCH && pty_master >= 0) {
      copy_window_size(STDIN_FILENO, pty_master);  // the kernel tells the container's side
      continue;
    }
    ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0);
  }
  // Whatever the process wrote last is still in the pty.
  if (p[1].fd >= 0) {
    struct pollfd last = {pty_master, POLLIN, 0};
    while (::poll(&last, 1, 0) == 1 && relay(pty_master, STDOUT_FILENO)) {
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace boxrt
