#include "net/host_namespace.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "net/netlink.hpp"
#include "util/error.hpp"
#include "util/fd_passing.hpp"
#include "util/lock_file.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"
#include "util/unix_socket.hpp"

namespace boxnet {
namespace {

using boxrt::Error;
using boxrt::unique_fd;

// How long the holder stays with nothing attached, and how often it looks.
constexpr auto kIdle = std::chrono::seconds(60);
constexpr int kCheckMs = 10000;

unique_fd ask_holder() {
  unique_fd conn = boxrt::connect_unix(holder_socket(), SOCK_SEQPACKET);
  if (!conn) return {};
  return unique_fd(boxrt::receive_fd_raw(conn.get()));
}

// The bridge, up, with the gateway's address; `lo` up.
void make_bridge(const NetworkConfig& c) {
  Netlink nl;
  nl.set_up("lo");
  nl.add_bridge(kBridge, c.mtu);
  nl.add_address(kBridge, c.gateway, c.subnet.prefix);
  nl.set_up(kBridge);
}

// Serves its namespace until nothing has been attached for kIdle. Never returns.
[[noreturn]] void holder_main(const NetworkConfig& c, int ready_fd) {
  boxrt::become_daemon("boxapp-net", ready_fd);  // nothing of our starter's but the pipe
  unique_fd listener, self;
  try {
    if (::unshare(CLONE_NEWNET) != 0) boxrt::throw_errno("unshare(CLONE_NEWNET)");
    make_bridge(c);
    self = boxrt::open_file("/proc/self/ns/net", O_RDONLY);
    ::unlink(holder_socket().c_str());
    listener = boxrt::listen_unix(holder_socket(), SOCK_SEQPACKET);
  } catch (const std::exception& e) {
    const std::string why = e.what();
    (void)!::write(ready_fd, why.data(), why.size());
    ::_exit(1);
  }
  if (!listener) ::_exit(1);
  ::close(ready_fd);  // EOF: ready
  auto last_busy = std::chrono::steady_clock::now();
  for (;;) {
    struct pollfd p = {listener.get(), POLLIN, 0};
    if (::poll(&p, 1, kCheckMs) > 0) {
      unique_fd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (conn) boxrt::send_fd(conn.get(), self.get());
      last_busy = std::chrono::steady_clock::now();
      continue;
    }
    try {
      if (!Netlink().ports_of(kBridge).empty()) last_busy = std::chrono::steady_clock::now();
    } catch (const std::exception&) {
    }
    if (std::chrono::steady_clock::now() - last_busy >= kIdle) {
      ::unlink(holder_socket().c_str());
      ::_exit(0);
    }
  }
}

// Starts the holder, detached from us, and waits until it listens; its error, if it
// fails, is ours.
void start_holder(const NetworkConfig& c) {
  unique_fd ready_r = boxrt::spawn_detached(
      [](int ready_fd, void* config) {
        holder_main(*static_cast<const NetworkConfig*>(config), ready_fd);
      },
      const_cast<NetworkConfig*>(&c));
  char why[512];
  ssize_t n = boxrt::retry_eintr([&] { return ::read(ready_r.get(), why, sizeof why); });
  if (n > 0)
    throw Error("network: the bridge's namespace: " + std::string(why, static_cast<size_t>(n)));
}

}  // namespace

unique_fd running_host_namespace() {
  return ask_holder();
}

unique_fd host_namespace(const NetworkConfig& c) {
  if (unique_fd ns = ask_holder()) return ns;
  boxrt::FileLock lock = boxrt::FileLock::acquire(holder_lock());
  if (unique_fd ns = ask_holder()) return ns;  // another start won the race
  start_holder(c);
  if (unique_fd ns = ask_holder()) return ns;
  throw Error("network: the holder of the bridge's namespace did not answer on " +
              boxrt::backquoted(holder_socket()));
}

}  // namespace boxnet
