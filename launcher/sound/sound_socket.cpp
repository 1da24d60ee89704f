#include "sound/sound_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "sound/pulse.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fd_passing.hpp"
#include "util/lock_file.hpp"
#include "util/log.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"
#include "util/unix_socket.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;
using boxrt::unique_fd;

constexpr int kAnswerTimeoutMs = 10000;  // the broker gives libpulse 3 s per step

boxrt::unique_fd try_connect(const std::string& path) {
  return boxrt::connect_unix(path, SOCK_SEQPACKET);
}

// Starts the broker, detached from us, and waits until it listens.
void start_broker(const std::string& session_dir) {
  unique_fd ready_r = boxrt::spawn_detached(
      [](int ready_fd, void* dir) {
        sound_broker_main(*static_cast<const std::string*>(dir), ready_fd);
      },
      const_cast<std::string*>(&session_dir));
  struct pollfd p = {ready_r.get(), POLLIN, 0};
  char c;
  if (boxrt::retry_eintr([&] { return ::poll(&p, 1, 5000); }) != 1 ||
      ::read(ready_r.get(), &c, 1) != 1)
    throw Error("sound: the sound broker did not start");
}

unique_fd connect_broker(const std::string& session_dir) {
  const std::string path = session_dir + "/sound.sock";
  if (auto fd = try_connect(path)) return fd;
  boxrt::FileLock lock = boxrt::FileLock::acquire(session_dir + "/sound.lock");
  if (auto fd = try_connect(path)) return fd;  // another start won the race
  ::unlink(path.c_str());                      // a broker that died
  start_broker(session_dir);
  if (auto fd = try_connect(path)) return fd;
  boxrt::throw_errno("sound: connect to the sound broker at " + backquoted(path));
}

// libpulse in the box must not fall back to POSIX shared memory: its segments are in the
// box's own /dev/shm, where the server can't open them (flatpak turns it off too). memfd
// transfer, PulseAudio's default, passes descriptors and works across.
void write_client_conf(const std::string& dir) {
  boxrt::write_file_atomic(dir + "/client.conf", "enable-shm = no\nautospawn = no\n", 0600,
                           boxrt::Durability::volatile_ok);
}

// The module lets in whoever reaches the socket; a cookie file only keeps libpulse in the
// box from looking for (and complaining about) one.
void write_random_cookie(const std::string& path) {
  char cookie[256];
  if (::getrandom(cookie, sizeof cookie, 0) != sizeof cookie) boxrt::throw_errno("getrandom");
  boxrt::write_file_atomic(path, std::string(cookie, sizeof cookie), 0600,
                           boxrt::Durability::volatile_ok);
}

}  // namespace

SoundSocket SoundSocket::start(const std::string& box_dir, const std::string& session_dir) {
  const std::string dir = pulse_dir_in(box_dir);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    boxrt::throw_errno("create " + backquoted(dir));
  ::unlink((dir + "/native").c_str());  // an earlier box's
  ::unlink((dir + "/cookie").c_str());
  SoundSocket s;
  s.box_dir_ = box_dir;
  try {
    s.broker_ = connect_broker(session_dir);
    boxrt::send_message(s.broker_.get(), "load " + box_dir);
  } catch (const Error& e) {
    boxrt::log_debug(std::string("sound: ") + e.what());  // ready() shares the session's
    s.broker_.reset();
  }
  return s;
}

void SoundSocket::ready(const HostFacts& host, pid_t box_pid) {
  const std::string answer = broker_ ? boxrt::receive_message(broker_.get(), kAnswerTimeoutMs) : "";
  unsigned index = 0;
  if (std::sscanf(answer.c_str(), "module %u", &index) == 1) {
    boxrt::log_debug("sound: the box has socket module " + std::to_string(index) + " at " +
                     pulse_socket_in(box_dir_));
    write_random_cookie(pulse_dir_in(box_dir_) + "/cookie");
    write_client_conf(pulse_dir_in(box_dir_));
    unique_fd pidfd = boxrt::open_pidfd(box_pid);
    if (!pidfd || !boxrt::send_fd(broker_.get(), pidfd.get()))
      throw Error("sound: hand the box's process to the sound broker: " +
                  std::string(std::strerror(errno)));
    return;
  }
  boxrt::log_debug("sound: no socket of the box's own (" +
                   (answer.rfind("refused ", 0) == 0 ? answer.substr(8) : "no broker") +
                   "); sharing the session's socket");
  broker_.reset();
  share_session_sound(box_dir_, host);
}

void share_session_sound(const std::string& box_dir, const HostFacts& host) {
  const std::string dir = pulse_dir_in(box_dir);
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
