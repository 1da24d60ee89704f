#include "daemon/udp_relay.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cstring>

namespace boxnet {
namespace {

using boxrt::unique_fd;
using Clock = std::chrono::steady_clock;

constexpr auto kIdle = std::chrono::seconds(60);
// Past this many clients at once, new ones are dropped: each costs a descriptor.
constexpr size_t kMaxClients = 1024;
constexpr size_t kMaxDatagram = 65536;

uint64_t key_of(const sockaddr_in& a) {
  return (static_cast<uint64_t>(a.sin_addr.s_addr) << 16) | a.sin_port;
}

}  // namespace

UdpRelay::UdpRelay(EventLoop& loop, unique_fd host, const sockaddr_in& box)
    : loop_(loop), host_(std::move(host)), box_(box) {
  loop_.add(host_.get(), EPOLLIN, [this](uint32_t) { on_host(); });
}

UdpRelay::~UdpRelay() {
  loop_.remove(host_.get());
  for (auto& [key, c] : clients_)
    loop_.remove(c->sock.get());
}

UdpRelay::Client* UdpRelay::client_for(const sockaddr_in& from, in_addr to) {
  auto it = clients_.find(key_of(from));
  if (it != clients_.end()) return it->second.get();
  if (clients_.size() >= kMaxClients) return nullptr;
  auto c = std::make_unique<Client>();
  c->from = from;
  c->to = to;
  c->sock.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!c->sock ||
      ::connect(c->sock.get(), reinterpret_cast<const sockaddr*>(&box_), sizeof box_) != 0)
    return nullptr;
  Client* raw = c.get();
  loop_.add(raw->sock.get(), EPOLLIN, [this, raw](uint32_t) { on_box(*raw); });
  clients_[key_of(from)] = std::move(c);
  return raw;
}

void UdpRelay::on_host() {
  static char buf[kMaxDatagram];
  for (int i = 0; i < 64; ++i) {
    sockaddr_in from{};
    struct iovec iov = {buf, sizeof buf};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(struct in_pktinfo))];
    struct msghdr msg = {};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(host_.get(), &msg, 0);
    if (n < 0) return;  // EAGAIN, or an ICMP error of an earlier reply
    in_addr to{};
    for (struct cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
      if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
        struct in_pktinfo pi;
        std::memcpy(&pi, CMSG_DATA(cm), sizeof pi);
        to = pi.ipi_addr;
      }
    if (Client* c = client_for(from, to)) {
      c->last = Clock::now();
      (void)::send(c->sock.get(), buf, static_cast<size_t>(n), 0);  // lost, as UDP may be
    }
  }
}

void UdpRelay::on_box(Client& c) {
  static char buf[kMaxDatagram];
  for (int i = 0; i < 64; ++i) {
    const ssize_t n = ::recv(c.sock.get(), buf, sizeof buf, 0);
    if (n < 0) return;
    c.last = Clock::now();
    struct iovec iov = {buf, static_cast<size_t>(n)};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(struct in_pktinfo))] = {};
    struct msghdr msg = {};
    msg.msg_name = &c.from;
    msg.msg_namelen = sizeof c.from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = IPPROTO_IP;
    cm->cmsg_type = IP_PKTINFO;
    cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo pi = {};
    pi.ipi_spec_dst = c.to;
    std::memcpy(CMSG_DATA(cm), &pi, sizeof pi);
    (void)::sendmsg(host_.get(), &msg, 0);
  }
}

void UdpRelay::sweep(Clock::time_point now) {
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (now - it->second->last < kIdle) {
      ++it;
      continue;
    }
    loop_.remove(it->second->sock.get());
    it = clients_.erase(it);
  }
}

}  // namespace boxnet
