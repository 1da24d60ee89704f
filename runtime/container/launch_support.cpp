#include "container/launch_support.hpp"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

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

unique_fd connect_console_socket(const std::string& path) {
  unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    throw Error("console socket path too long: " + backquoted(path));
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0)
    throw_errno("connect to console socket " + backquoted(path));
  return fd;
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

int ForwardedSignals::wait_forwarding(pid_t pid, int pidfd) {
  int status = 0;
  for (;;) {
    siginfo_t info;
    int sig = ::sigwaitinfo(&set_, &info);
    if (sig == SIGCHLD) {
      if (::waitpid(pid, &status, WNOHANG) == pid) break;
      continue;
    }
    if (sig > 0) ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0);
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
