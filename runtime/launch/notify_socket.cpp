#include "launch/notify_socket.hpp"

#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"
#include "util/unix_socket.hpp"

namespace boxrt {
namespace {

constexpr const char* kInContainer = "/run/notify";
constexpr const char* kSocketName = "notify.sock";

std::string notify_dir(const std::string& state_dir) {
  return state_dir + "/notify";
}

// sendto the caller's socket: a path, or "@name" for an abstract one, as systemd writes it.
bool send_to(const std::string& caller, const std::string& message) {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (caller.empty() || caller.size() >= sizeof addr.sun_path) return false;
  caller.copy(addr.sun_path, caller.size());
  if (caller[0] == '@') addr.sun_path[0] = '\0';
  const socklen_t len =
      static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + caller.size());
  unique_fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  return fd &&
         ::sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL,
                  reinterpret_cast<sockaddr*>(&addr), len) == static_cast<ssize_t>(message.size());
}

}  // namespace

std::string caller_notify_socket() {
  const char* s = std::getenv("NOTIFY_SOCKET");
  return s ? s : "";
}

bool notify_caller(const std::string& message) {
  return send_to(caller_notify_socket(), message);
}

void plan_notify_socket(const std::string& state_dir, InitPlan& plan) {
  if (caller_notify_socket().empty()) return;
  const std::string dir = notify_dir(state_dir);
  // Reachable by the container's user, whoever that is; the state directory above it is
  // not, and the bind shows only this directory.
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("create " + backquoted(dir));
  if (::chmod(dir.c_str(), 0755) != 0) throw_errno("chmod " + backquoted(dir));
  MountStep m;
  m.source = dir;
  m.destination = kInContainer;
  m.is_bind = true;
  m.flags = MS_BIND;
  plan.mounts.push_back(m);
  set_env(plan, std::string("NOTIFY_SOCKET=") + kInContainer + "/" + kSocketName);
}

unique_fd bind_notify_socket(const std::string& state_dir) {
  const std::string dir = notify_dir(state_dir);
  if (!path_exists(dir)) return {};
  const std::string path = dir + "/" + kSocketName;
  ::unlink(path.c_str());
  unique_fd sock = bind_unix(path, SOCK_DGRAM);
  if (!sock) throw_errno("bind the container's notify socket " + backquoted(path));
  if (::chmod(path.c_str(), 0777) != 0) throw_errno("chmod " + backquoted(path));
  return sock;
}

bool relay_ready(int sock, int pidfd, pid_t pid, const std::string& caller, bool main_pid) {
  struct pollfd p[2] = {{sock, POLLIN, 0}, {pidfd, POLLIN, 0}};
  for (;;) {
    if (retry_eintr([&] { return ::poll(p, 2, -1); }) < 0) throw_errno("poll the notify socket");
    if (p[0].revents & POLLIN) {
      char buf[4096];
      ssize_t n = ::recv(sock, buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0) continue;
      const std::string message(buf, static_cast<size_t>(n));
      if (message.find("READY=1") == std::string::npos) continue;
      // systemd takes the service's main pid to be the container's, then its readiness.
      const bool told = (!main_pid || send_to(caller, "MAINPID=" + std::to_string(pid) + "\n")) &&
                        send_to(caller, message);
      if (!told) log_warning("NOTIFY_SOCKET " + backquoted(caller) + ": could not pass READY=1 on");
      return true;
    }
    if (p[1].revents & POLLIN) return false;
  }
}

}  // namespace boxrt
