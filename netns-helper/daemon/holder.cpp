#include "daemon/holder.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cgroup/service.hpp"
#include "daemon/dns.hpp"
#include "daemon/firewall.hpp"
#include "daemon/forwarder.hpp"
#include "daemon/upstream.hpp"
#include "launch/notify_socket.hpp"
#include "net/names.hpp"
#include "net/netlink.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fd_passing.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"
#include "util/unix_socket.hpp"

namespace boxnet {
namespace {

using boxrt::unique_fd;
using Clock = std::chrono::steady_clock;

// How long the holder stays with nothing attached, and how often it looks (and takes the
// names of boxes that ended on their own out of DNS).
constexpr auto kIdle = std::chrono::seconds(60);
constexpr int kCheckMs = 5000;
// How long a started upstream has to configure its tap.
constexpr auto kUpstreamSetup = std::chrono::seconds(2);

// One line for `status` and `doctor`: "up TOOL PID", or "down: why".
void write_state_to(const std::string& file, const std::string& line) {
  boxrt::write_file_atomic(file, line + "\n", 0644, boxrt::Durability::volatile_ok);
}
void write_state(const std::string& line) {
  write_state_to(upstream_state_file(), line);
}

// The bridge, up, with the gateway's address (and the host's, for boxes to reach the
// host's loopback at); `lo` up; routing on, for the upstream.
void make_bridge(const NetworkConfig& c) {
  Netlink nl;
  nl.set_up("lo");
  nl.add_bridge(kBridge, c.mtu, box_mac(c.gateway));
  nl.add_address(kBridge, c.gateway, c.subnet.prefix);
  if (c.host_loopback) nl.add_address(kBridge, host_address(c), 32);
  nl.set_up(kBridge);
  unique_fd f = boxrt::open_file("/proc/sys/net/ipv4/ip_forward", O_WRONLY);
  boxrt::write_all(f.get(), "1", "/proc/sys/net/ipv4/ip_forward");
}

// One message of the keeper's: the upstream started (up once it has configured its tap,
// which the keeper, outside this namespace, can't see) or ended.
void on_keeper(const NetworkConfig& c, const Keeper& k, const std::string& m) {
  const std::string tool = upstream_name(c.upstream);
  if (m.starts_with("exit ")) {
    write_state("down: " + tool + " " + m.substr(5));
    return;
  }
  if (!m.starts_with("start ")) return;
  const auto deadline = Clock::now() + kUpstreamSetup;
  while (Clock::now() < deadline) {
    if (Netlink().has_default_route()) {
      write_state("up " + tool + " " + m.substr(6));
      return;
    }
    struct pollfd p = {k.sock.get(), POLLIN, 0};
    if (::poll(&p, 1, 2) > 0) {  // it ended before it was up
      on_keeper(c, k, boxrt::receive_message(k.sock.get(), 0));
      return;
    }
  }
  write_state("down: " + tool + " did not configure " + kUpstreamInterface + " within 2 s");
}

// A bridge subnet that covers a network the host reaches would hide it from boxes (their
// packets to it would stay on the bridge).
void check_host_routes(const NetworkConfig& c) {
  for (const Subnet& r : Netlink().route_destinations())
    if (c.subnet.contains(r.base) || r.contains(c.subnet.base))
      throw boxrt::Error("the subnet " + c.subnet.str() + " overlaps the host's route to " +
                         r.str() + ", which boxes could then not reach: give network.toml " +
                         "another (" + network_toml() + ")");
}

struct Served {
  unique_fd listener, self;
  Keeper keeper;
  Dns dns;
};

void write_dns_state(const std::string& line) {
  write_state_to(dns_state_file(), line);
}

// Boxes on the bridge keep reaching each other by address without it: not the holder's
// failure.
void start_or_note_dns(const NetworkConfig& c, Served& s) {
  try {
    s.dns = start_dns(c);
    write_dns_state("up dnsmasq " + std::to_string(s.dns.pid));
  } catch (const std::exception& e) {
    s.dns = Dns{};
    write_dns_state(std::string("down: ") + e.what());
  }
}

// Everything before serving, in order; an error is the holder's.
Served set_up(const NetworkConfig& c) {
  Served s;
  check_host_routes(c);
  // Forked while we are still in the host's network namespace, where the upstream runs.
  if (c.upstream != Upstream::none) s.keeper = start_keeper(c);
  if (::unshare(CLONE_NEWNET) != 0) boxrt::throw_errno("unshare(CLONE_NEWNET)");
  make_bridge(c);
  apply_firewall(c);
  publish_fixed_names(c);
  start_or_note_dns(c, s);
  start_forwarder();
  s.self = boxrt::open_file("/proc/self/ns/net", O_RDONLY);
  if (s.keeper.pid) {
    write_state("down: " + std::string(upstream_name(c.upstream)) + " starting");
    boxrt::send_fd(s.keeper.sock.get(), s.self.get());
    // Boxes attached next reach the outside from their first packet.
    on_keeper(c, s.keeper, boxrt::receive_message(s.keeper.sock.get(), 5000));
  } else {
    write_state("down: upstream = \"none\" in network.toml (boxes reach each other only)");
  }
  ::unlink(holder_socket().c_str());
  s.listener = boxrt::listen_unix(holder_socket(), SOCK_SEQPACKET);
  if (!s.listener) boxrt::throw_errno("listen on " + boxrt::backquoted(holder_socket()));
  return s;
}

bool idle() {
  try {
    return Netlink().ports_of(kBridge).empty();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

int run_holder(const NetworkConfig& c, int ready_fd) {
  if (ready_fd >= 0) {
    boxrt::become_daemon("boxapp-net", ready_fd);
    boxrt::leave_service_cgroup(::getpid());  // started from a box's unit: it serves them all
  }
  Served s;
  try {
    s = set_up(c);
  } catch (const std::exception& e) {
    const std::string why = e.what();
    if (ready_fd >= 0)
      (void)!::write(ready_fd, why.data(), why.size());
    else
      std::fprintf(stderr, "boxapp-netns: the bridge's namespace: %s\n", why.c_str());
    return 1;
  }
  if (ready_fd >= 0) ::close(ready_fd);  // EOF: ready
  // A systemd user service of Type=notify: ready now, boxes may attach.
  if (ready_fd < 0) boxrt::notify_caller("READY=1\nSTATUS=serving " + holder_socket() + "\n");
  auto last_busy = Clock::now(), last_check = Clock::now();
  for (;;) {
    if (Clock::now() - last_check >= std::chrono::milliseconds(kCheckMs)) {
      last_check = Clock::now();
      try {
        withdraw_gone_names(c);
      } catch (const std::exception&) {  // the next check tries again
      }
    }
    // A negative fd is skipped: a keeper or dnsmasq we no longer have.
    struct pollfd p[3] = {{s.listener.get(), POLLIN, 0},
                          {s.keeper.pid ? s.keeper.sock.get() : -1, POLLIN, 0},
                          {s.dns.pidfd ? s.dns.pidfd.get() : -1, POLLIN, 0}};
    if (::poll(p, 3, kCheckMs) > 0) {
      if (p[0].revents & POLLIN) {
        unique_fd conn(::accept4(s.listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (conn) boxrt::send_fd(conn.get(), s.self.get());
        last_busy = Clock::now();
      }
      if (p[1].revents & POLLIN) {
        on_keeper(c, s.keeper, boxrt::receive_message(p[1].fd, 0));
      } else if (p[1].revents & (POLLHUP | POLLERR)) {
        // Killed: no process is left in the host's namespace to start another upstream.
        write_state(
            "down: the upstream's keeper was killed (the next attach starts it anew "
            "once this holder has exited)");
        s.keeper = Keeper{};
      }
      if (p[2].revents & POLLIN) {  // dnsmasq ended: again, at most once a second
        ::waitpid(s.dns.pid, nullptr, 0);
        write_dns_state("down: dnsmasq ended; starting it again");
        ::sleep(1);
        start_or_note_dns(c, s);
      }
      continue;
    }
    if (!idle()) last_busy = Clock::now();
    // A service (no starter waiting on us) stays.
    if (ready_fd >= 0 && Clock::now() - last_busy >= kIdle) {
      ::unlink(holder_socket().c_str());
      ::unlink(ports_socket().c_str());
      ::unlink(upstream_state_file().c_str());
      ::unlink(dns_state_file().c_str());
      // The keeper, and the upstream with it, die with us. _exit: the forwarder's thread
      // still runs, and must not meet static destructors.
      ::_exit(0);
    }
  }
}

}  // namespace boxnet
