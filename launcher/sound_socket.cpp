#include "sound_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "pulse.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/lock_file.hpp"
#include "util/log.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

constexpr int kReportTimeoutMs = 10000;  // libpulse gives up after 3 s per step

// Both channels are socket pairs: a peer that died is an error, never a SIGPIPE.
void report(int fd, const std::string& line) {
  std::string text = line + "\n";
  (void)!::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
}

// Reads one line from `fd`, waiting at most timeout_ms; empty on EOF or timeout.
std::string read_line(int fd, int timeout_ms) {
  std::string line;
  char c;
  struct pollfd p = {fd, POLLIN, 0};
  while (line.size() < 4096) {
    int rc = boxrt::retry_eintr([&] { return ::poll(&p, 1, timeout_ms); });
    if (rc <= 0 || boxrt::retry_eintr([&] { return ::read(fd, &c, 1); }) != 1) return {};
    if (c == '\n') return line;
    line += c;
  }
  return line;
}

// Modules of boxes that are gone: their keeper no longer holds the lock (killed, or the box
// ran detached and ended), or the socket is this box's own path from an earlier run.
void collect_leftovers(PulseServer& server, const std::string& boxes_dir,
                       const std::string& own_socket) {
  for (const auto& m : server.socket_modules_under(boxes_dir)) {
    const std::string rest = m.socket.substr(boxes_dir.size() + 1);
    const std::string lock = boxes_dir + "/" + rest.substr(0, rest.find('/')) + "/sound.lock";
    bool gone = m.socket == own_socket;
    if (!gone) {
      try {
        gone = boxrt::FileLock::try_acquire(lock).has_value();
      } catch (const Error&) {
        gone = true;  // the box's directory is gone too
      }
    }
    if (gone) server.unload_module(m.index);
  }
}

// Waits until process `pid` has ended (or is already gone).
void wait_for_exit(pid_t pid) {
  boxrt::unique_fd pidfd;
  try {
    pidfd = boxrt::open_pidfd(pid);
  } catch (const Error&) {
    return;
  }
  struct pollfd p = {pidfd.get(), POLLIN, 0};
  while (pidfd && ::poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
}

[[noreturn]] void keeper_main(const std::string& box_dir, const std::string& boxes_dir,
                              int report_fd, int watch_fd) {
  ::setsid();
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // The box's end is what ends us: signals meant for the app (a Ctrl-C) must not.
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE})
    ::signal(sig, SIG_IGN);
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd)
    ::dup2(null, fd);
  ::prctl(PR_SET_NAME, "boxapp-sound");
  try {
    boxrt::FileLock lock = boxrt::FileLock::acquire(box_dir + "/sound.lock");
    const std::string socket = box_dir + "/pulse/native";
    std::string why;
    auto server = PulseServer::connect(why);
    if (!server) {
      report(report_fd, "refused " + why);
      ::_exit(0);
    }
    collect_leftovers(*server, boxes_dir, socket);
    auto index = server->load_socket_module(socket, why);
    if (!index) {
      report(report_fd, "refused " + why);
      ::_exit(0);
    }
    report(report_fd, "module " + std::to_string(*index));
    ::close(report_fd);
    int pid = 0;
    if (std::sscanf(read_line(watch_fd, -1).c_str(), "%d", &pid) == 1 && pid > 0)
      wait_for_exit(pid);
    // The connection sat idle for the box's whole life: if the server dropped it, ask anew.
    if (!server->unload_module(*index)) {
      server.reset();
      if (auto again = PulseServer::connect(why)) again->unload_module(*index);
    }
  } catch (const std::exception& e) {
    report(report_fd, std::string("refused ") + e.what());
  }
  ::_exit(0);
}

void write_random_cookie(const std::string& path) {
  char cookie[256];
  if (::getrandom(cookie, sizeof cookie, 0) != sizeof cookie) boxrt::throw_errno("getrandom");
  boxrt::write_file_atomic(path, std::string(cookie, sizeof cookie), 0600,
                           boxrt::Durability::volatile_ok);
}

// libpulse in the box must not fall back to POSIX shared memory: its segments are in the
// box's own /dev/shm, where the server can't open them (flatpak turns it off too). memfd
// transfer, PulseAudio's default, passes descriptors and works across.
void write_client_conf(const std::string& dir) {
  boxrt::write_file_atomic(dir + "/client.conf", "enable-shm = no\nautospawn = no\n", 0600,
                           boxrt::Durability::volatile_ok);
}

}  // namespace

SoundSocket SoundSocket::start(const std::string& box_dir, const std::string& boxes_dir) {
  const std::string dir = box_dir + "/pulse";
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    boxrt::throw_errno("create " + backquoted(dir));
  ::unlink((dir + "/native").c_str());  // an earlier box's
  ::unlink((dir + "/cookie").c_str());
  int rep[2], watch[2];
  boxrt::check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rep), "socketpair");
  boxrt::unique_fd rep_r(rep[0]), rep_w(rep[1]);
  boxrt::check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, watch), "socketpair");
  boxrt::unique_fd watch_r(watch[0]), watch_w(watch[1]);
  pid_t pid = boxrt::check(::fork(), "fork the sound socket keeper");
  if (pid == 0) {
    rep_r.reset();
    watch_w.reset();
    keeper_main(box_dir, boxes_dir, rep_w.get(), watch_r.get());
  }
  SoundSocket s;
  s.box_dir_ = box_dir;
  s.keeper_ = pid;
  s.report_ = std::move(rep_r);
  s.watch_ = std::move(watch_w);
  return s;
}

SoundSocket::~SoundSocket() {
  // Closing our end tells a keeper still waiting for its box that there is none.
  watch_.reset();
  report_.reset();
}

void SoundSocket::ready(const HostFacts& host, pid_t box_pid) {
  const std::string line = read_line(report_.get(), kReportTimeoutMs);
  report_.reset();
  unsigned index = 0;
  if (std::sscanf(line.c_str(), "module %u", &index) == 1) {
    boxrt::log_debug("sound: the box has socket module " + std::to_string(index) + " at " +
                     box_dir_ + "/pulse/native");
    // The module lets anyone who reaches the socket in; a cookie file keeps libpulse in the
    // box from looking for (and complaining about) one.
    write_random_cookie(box_dir_ + "/pulse/cookie");
    write_client_conf(box_dir_ + "/pulse");
  } else {
    std::string why = line.rfind("refused ", 0) == 0 ? line.substr(8) : "the keeper died";
    boxrt::log_debug("sound: no socket of the box's own (" + why +
                     "); sharing the session's socket");
    // Gone or going: nothing loaded to watch over.
    ::kill(keeper_, SIGKILL);
    watch_.reset();
    share_session_sound(box_dir_, host);
    return;
  }
  report(watch_.get(), std::to_string(box_pid));
  watch_.reset();
}

void SoundSocket::wait_unloaded() {
  if (keeper_ <= 0) return;
  try {
    boxrt::unique_fd pidfd = boxrt::open_pidfd(keeper_);
    struct pollfd p = {pidfd.get(), POLLIN, 0};
    boxrt::retry_eintr([&] { return ::poll(&p, 1, 3000); });
  } catch (const Error&) {
  }
  ::waitpid(keeper_, nullptr, WNOHANG);
  keeper_ = -1;
}

void share_session_sound(const std::string& box_dir, const HostFacts& host) {
  const std::string dir = box_dir + "/pulse";
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    boxrt::throw_errno("create " + backquoted(dir));
  const std::string sock = dir + "/native";
  ::unlink(sock.c_str());
  // A hard link is the same socket under a second name, reachable through the box's bind of
  // this directory.
  if (::link(host.pulse_socket.c_str(), sock.c_str()) != 0)
    boxrt::throw_errno("sound: share the session's socket " + backquoted(host.pulse_socket) +
                       " with the box (link to " + backquoted(sock) + ")");
  write_client_conf(dir);
  const std::string cookie = dir + "/cookie";
  ::unlink(cookie.c_str());
  if (host.pulse_cookie.empty()) return;
  auto text = boxrt::try_read_file(host.pulse_cookie);
  if (!text) boxrt::throw_errno("sound: read the cookie " + backquoted(host.pulse_cookie));
  boxrt::write_file_atomic(cookie, *text, 0600, boxrt::Durability::volatile_ok);
}

}  // namespace boxapp
