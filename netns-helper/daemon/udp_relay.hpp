// A published UDP port, carried to the box: each client (address and port) gets a socket of
// its own here, in the bridge's namespace, connected to the box, so that the box's replies
// find their way back to it; a client silent for kIdle is forgotten, as conntrack forgets a
// UDP flow.
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>

#include "daemon/event_loop.hpp"
#include "util/unique_fd.hpp"

namespace boxnet {

class UdpRelay {
 public:
  UdpRelay(EventLoop& loop, boxrt::unique_fd host, const sockaddr_in& box);
  ~UdpRelay();
  UdpRelay(const UdpRelay&) = delete;
  UdpRelay& operator=(const UdpRelay&) = delete;
  // Forgets the clients silent for too long.
  void sweep(std::chrono::steady_clock::time_point now);

 private:
  struct Client {
    sockaddr_in from{};     // the client
    in_addr to{};           // the host's address it sent to: replies leave from there
    boxrt::unique_fd sock;  // connected to the box
    std::chrono::steady_clock::time_point last;
  };
  void on_host();
  void on_box(Client& c);
  Client* client_for(const sockaddr_in& from, in_addr to);

  EventLoop& loop_;
  boxrt::unique_fd host_;
  sockaddr_in box_;
  std::map<uint64_t, std::unique_ptr<Client>> clients_;
};

}  // namespace boxnet
