#include "daemon/forwarder.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <list>
#include <map>
#include <sstream>
#include <thread>

#include "daemon/event_loop.hpp"
#include "daemon/firewall.hpp"
#include "daemon/tcp_relay.hpp"
#include "daemon/udp_relay.hpp"
#include "net/config.hpp"
#include "net/publish.hpp"
#include "util/error.hpp"
#include "util/fd_passing.hpp"
#include "util/unix_socket.hpp"

namespace boxnet {
namespace {

using boxrt::unique_fd;
using Clock = std::chrono::steady_clock;

// What is asked for one box: its ports' listeners and relays, its isolation, and, when its
// starter sent one, a pidfd of its init, whose end ends them all.
struct Box {
  Ipv4 ip;
  bool isolated = false;
  unique_fd pidfd;
  std::vector<PortMapping> mappings;
  std::vector<unique_fd> listeners;  // TCP
  std::list<std::unique_ptr<UdpRelay>> udp;
  std::map<TcpRelay*, std::unique_ptr<TcpRelay>> tcp;
};

sockaddr_in address_of(Ipv4 ip, uint16_t port) {
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(ip.value);
  a.sin_port = htons(port);
  return a;
}

bool ended(int pidfd) {
  struct pollfd p = {pidfd, POLLIN, 0};
  return pidfd >= 0 && ::poll(&p, 1, 0) == 1;
}

class Forwarder {
 public:
  explicit Forwarder(unique_fd control) : control_(std::move(control)) {
    loop_.add(control_.get(), EPOLLIN, [this](uint32_t) { on_control(); });
  }

  [[noreturn]] void serve() {
    auto last_sweep = Clock::now();
    for (;;) {
      loop_.run_once(1000);
      if (Clock::now() - last_sweep < std::chrono::seconds(1)) continue;
      last_sweep = Clock::now();
      for (auto& [name, box] : boxes_)
        for (auto& u : box->udp)
          u->sweep(last_sweep);
    }
  }

 private:
  void on_control() {
    unique_fd conn(::accept4(control_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!conn) return;
    const int fd = conn.get();
    conns_[fd] = std::move(conn);
    loop_.add(fd, EPOLLIN, [this, fd](uint32_t) { on_request(fd); });
  }

  void on_request(int fd) {
    char buf[512];
    size_t got = 0;
    std::vector<unique_fd> fds = boxrt::receive_fds(fd, buf, sizeof buf, got);
    if (got == 0) {
      loop_.remove(fd);
      conns_.erase(fd);
      return;
    }
    const std::string req(buf, got);
    boxrt::send_message(fd, answer(req, fds));
  }

  std::string answer(const std::string& req, std::vector<unique_fd>& fds) {
    if (req == "list") return list();
    if (req.starts_with("unpublish ")) {
      drop(req.substr(10));
      return "ok";
    }
    if (req.starts_with("isolate ")) {
      std::istringstream in(req.substr(8));
      std::string name, address;
      in >> name >> address;
      const auto ip = Ipv4::parse(address);
      if (name.empty() || !ip) return "error: a malformed request: " + req;
      try {
        Box& box = box_for(name, *ip, fds.empty() ? unique_fd() : std::move(fds[0]));
        if (!box.isolated) set_isolated(host_link_name(*ip), true);
        box.isolated = true;
      } catch (const std::exception& e) {
        return std::string("error: ") + e.what();
      }
      return "ok";
    }
    if (req.starts_with("publish ")) {
      auto p = parse_port_line(req.substr(8));
      if (!p || fds.empty()) return "error: a malformed request: " + req;
      try {
        add(*p, std::move(fds[0]), fds.size() > 1 ? std::move(fds[1]) : unique_fd());
      } catch (const std::exception& e) {
        return std::string("error: ") + e.what();
      }
      return "ok";
    }
    return "error: an unknown request: " + req;
  }

  std::string list() const {
    std::string out;
    for (const auto& [name, box] : boxes_)
      for (const auto& m : box->mappings)
        out += port_line(name, box->ip, m) + "\n";
    return out;
  }

  Box& box_for(const std::string& name, Ipv4 ip, unique_fd pidfd) {
    auto it = boxes_.find(name);
    // Of an earlier box of this name: on another address now, or its init gone and the
    // news of it not handled yet.
    if (it != boxes_.end() && (!(it->second->ip == ip) || ended(it->second->pidfd.get()))) {
      drop(name);
      it = boxes_.end();
    }
    if (it == boxes_.end()) {
      it = boxes_.emplace(name, std::make_unique<Box>()).first;
      it->second->ip = ip;
    }
    Box& box = *it->second;
    if (pidfd && !box.pidfd) {
      box.pidfd = std::move(pidfd);
      loop_.add(box.pidfd.get(), EPOLLIN, [this, name](uint32_t) { drop(name); });
    }
    return box;
  }

  void add(const Published& p, unique_fd port, unique_fd pidfd) {
    Box& box = box_for(p.name, p.ip, std::move(pidfd));
    const sockaddr_in target = address_of(p.ip, p.mapping.box_port);
    if (p.mapping.proto == Proto::udp) {
      box.udp.push_back(std::make_unique<UdpRelay>(loop_, std::move(port), target));
    } else {
      const int fd = port.get();
      box.listeners.push_back(std::move(port));
      Box* bp = &box;
      loop_.add(fd, EPOLLIN, [this, fd, bp, target](uint32_t) { on_accept(*bp, fd, target); });
    }
    box.mappings.push_back(p.mapping);
  }

  void on_accept(Box& box, int listener, const sockaddr_in& target) {
    for (int i = 0; i < 64; ++i) {
      unique_fd client(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
      if (!client) return;
      try {
        auto relay = std::make_unique<TcpRelay>(loop_, std::move(client), target,
                                                [&box](TcpRelay* r) { box.tcp.erase(r); });
        TcpRelay* raw = relay.get();
        box.tcp[raw] = std::move(relay);
      } catch (const std::exception&) {
        // Out of descriptors, or the box's address unreachable: this client is closed.
      }
    }
  }

  void drop(const std::string& name) {
    auto it = boxes_.find(name);
    if (it == boxes_.end()) return;
    Box& box = *it->second;
    for (const unique_fd& l : box.listeners)
      loop_.remove(l.get());
    if (box.pidfd) loop_.remove(box.pidfd.get());
    if (box.isolated) try {
        set_isolated(host_link_name(box.ip), false);
      } catch (const std::exception&) {  // the table went with a holder's restart
      }
    boxes_.erase(it);  // its relays remove themselves from the loop
  }

  EventLoop loop_;
  unique_fd control_;
  std::map<int, unique_fd> conns_;
  std::map<std::string, std::unique_ptr<Box>> boxes_;
};

// Each relayed connection holds six descriptors (two sockets, two pipes): as many as the
// hard limit allows.
void raise_fd_limit() {
  struct rlimit r;
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
}

}  // namespace

void start_forwarder() {
  raise_fd_limit();
  ::unlink(ports_socket().c_str());
  unique_fd control = boxrt::listen_unix(ports_socket(), SOCK_SEQPACKET);
  if (!control) boxrt::throw_errno("listen on " + boxrt::backquoted(ports_socket()));
  std::thread([c = std::move(control)]() mutable { Forwarder(std::move(c)).serve(); }).detach();
}

}  // namespace boxnet
