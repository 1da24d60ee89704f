#include "launch/launch_support.hpp"

#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <optional>

#include "oci/spec.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fd_passing.hpp"
#include "util/sys.hpp"
#include "util/unix_socket.hpp"

namespace boxrt {

void send_msg(int sync_fd, SyncMsg msg) {
  char c = static_cast<char>(msg);
  check(::write(sync_fd, &c, 1), "signal the container process");
}

void expect_msg(int sync_fd, SyncMsg want, const char* when) {
  char buf[1 + sizeof(InitError)];
  ssize_t n = retry_eintr([&] { return ::read(sync_fd, buf, sizeof buf); });
  if (n == 1 && buf[0] == static_cast<char>(want)) return;
  if (n == static_cast<ssize_t>(sizeof buf) && buf[0] == static_cast<char>(SyncMsg::error)) {
    InitError e;
    std::memcpy(&e, buf + 1, sizeof e);
    e.msg[sizeof e.msg - 1] = '\0';
    if (e.err) throw sys_error(e.err, e.msg);
    throw Error(e.msg);
  }
  if (n == 0 && want == SyncMsg::error) return;  // EOF: exec closed the socket
  throw Error(std::string("the container process died ") + when);
}

namespace {

unique_fd connect_to(const std::string& path, const std::string& what) {
  unique_fd fd = connect_unix(path, SOCK_STREAM);
  if (!fd && errno == ENAMETOOLONG) throw Error(what + " path too long: " + backquoted(path));
  if (!fd) throw_errno("connect to " + what + " " + backquoted(path));
  return fd;
}

}  // namespace

SeccompAgent connect_seccomp_agent(const oci::Spec& spec, const InitPlan& plan) {
  SeccompAgent a;
  if (!plan.seccomp || !(plan.seccomp->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)) return a;
  a.socket = connect_to(*spec.linux->seccomp->listener_path, "linux.seccomp.listenerPath");
  a.state.reset(::memfd_create("seccomp-agent-state", MFD_CLOEXEC));
  if (!a.state) throw_errno("memfd_create");
  return a;
}

void write_agent_state(const SeccompAgent& agent, const oci::Spec& spec, const oci::State& state,
                       pid_t pid) {
  if (!agent.state) return;
  nlohmann::json j = {{"ociVersion", std::string(oci::kVersion)},
                      {"fds", {"seccompFd"}},
                      {"pid", pid},
                      {"metadata", spec.linux->seccomp->listener_metadata.value_or("")},
                      {"state", oci::state_to_json(state)}};
  j["state"].erase("org.boxapp.runtime");
  const std::string text = j.dump();
  if (text.size() > 16384) throw Error("linux.seccomp.listenerMetadata: too long");
  write_all(agent.state.get(), text, "the seccomp agent's state");
}

unique_fd connect_console_socket(const std::string& path) {
  return connect_to(path, "console socket");
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

void write_pid_file(const std::string& path, pid_t pid) {
  write_file_atomic(path, std::to_string(pid), 0644, Durability::volatile_ok);
}

ForwardedSignals::ForwardedSignals() {
  sigemptyset(&set_);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGCHLD})
    sigaddset(&set_, sig);
  ::sigprocmask(SIG_BLOCK, &set_, &old_);
}

ForwardedSignals::~ForwardedSignals() {
  ::sigprocmask(SIG_SETMASK, &old_, nullptr);
}

namespace {

// Our terminal in raw mode for as long as we relay a container's pty to it.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (!::isatty(fd) || ::tcgetattr(fd, &saved_) != 0) return;
    struct termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(fd, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  }

 private:
  int fd_;
  struct termios saved_ = {};
  bool active_ = false;
};

void copy_window_size(int from, int to) {
  struct winsize ws;
  if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(to, TIOCSWINSZ, &ws);
}

// Moves what is readable on `from` to `to`; false at EOF or error.
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

}  // namespace

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

std::string absolute_path(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (!::getcwd(cwd, sizeof cwd)) throw_errno("getcwd");
  return path.empty() || path == "." ? std::string(cwd) : std::string(cwd) + "/" + path;
}

}  // namespace boxrt
