// Published ports: "8080:80", "127.0.0.1:5353:53/udp", "80" (any free host port), as podman's
// -p takes them. The caller binds each on the host before its box starts (a taken port is an
// error then, and nothing of the box is made yet); the holder's forwarder
// (daemon/forwarder.hpp) then carries what arrives there to the box's address.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "net/address.hpp"
#include "util/unique_fd.hpp"

namespace boxnet {

enum class Proto { tcp, udp };
const char* proto_name(Proto p);

struct PortMapping {
  Ipv4 host_ip;            // 0.0.0.0: every address of the host, as podman binds
  uint16_t host_port = 0;  // 0: any free one, chosen when bound
  uint16_t box_port = 0;
  Proto proto = Proto::tcp;
  // "0.0.0.0:8080->80/tcp", as `podman ps` says it.
  std::string str() const;
};

// One mapping; an error names what is wrong with `text` ("expected [IP:]HOST:BOX[/udp]").
PortMapping parse_port(const std::string& text);

// A mapping bound on the host's network namespace (the caller's): a TCP listener, or a UDP
// socket, non-blocking and close-on-exec. host_port is the real one once bound.
struct BoundPort {
  PortMapping mapping;
  boxrt::unique_fd fd;
};
// A port taken, or one below net.ipv4.ip_unprivileged_port_start, is an error saying so.
BoundPort bind_port(const PortMapping& m);
std::vector<BoundPort> bind_ports(const std::vector<PortMapping>& ms);

}  // namespace boxnet
