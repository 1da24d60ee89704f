// The client's side of the forwarder (daemon/forwarder.hpp), one SOCK_SEQPACKET message per
// request on ports_socket(), each answered with "ok", "error: WHY", or the list:
//   publish NAME IP PROTO HOST_IP HOST_PORT BOX_PORT   with the bound port's descriptor and,
//                                                      optionally, a pidfd of the box's init
//   isolate NAME IP                                    optionally with the pidfd: no traffic
//                                                      between the box and other boxes
//   unpublish NAME                                     its ports, and its isolation
//   list          answered with a line per port: NAME IP PROTO HOST_IP HOST_PORT BOX_PORT
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "net/address.hpp"
#include "net/ports.hpp"

namespace boxnet {

struct Published {
  std::string name;
  Ipv4 ip;
  PortMapping mapping;
};

// What a box asks of the bridge beyond its address.
struct BoxRequests {
  std::vector<BoundPort> ports;  // published, bound on the host already
  bool isolate = false;          // no traffic between it and other boxes
  std::optional<Ipv4> ip;        // this address, not its lease's (attach --ip)
};

// Hands the requests (the ports bound) to the running holder's forwarder for box `name` at
// `ip`; they end with the process `pid` (0: only with unpublish). An error when there is
// no holder.
void publish(const std::string& name, Ipv4 ip, pid_t pid, BoxRequests& requests);
// Stops forwarding to `name`; nothing to do is fine.
void unpublish(const std::string& name);
// Every published port; none when no holder runs.
std::vector<Published> list_published();

// What a box asked for, kept in RUNTIME/boxapp/requests/NAME while it runs ("isolate", and a
// port_line() per port), so that a holder made anew after one was killed can be asked again;
// none: the file goes.
void record_requests(const std::string& name, Ipv4 ip, const BoxRequests& requests);
// What box `name` had asked for, its ports bound on the caller's network namespace again.
// A port that can't be bound now is left out, said in a warning.
BoxRequests recorded_requests(const std::string& name);
// Done with box `name`.
void forget_requests(const std::string& name);

// The protocol's own line for a port, and back.
std::string port_line(const std::string& name, Ipv4 ip, const PortMapping& m);
std::optional<Published> parse_port_line(const std::string& line);

}  // namespace boxnet
