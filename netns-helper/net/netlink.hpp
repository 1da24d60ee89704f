// Links, addresses and routes through rtnetlink (libnl-route-3), never `ip`: the bridge, a
// box's veth pair, its address and default route. A netlink socket acts on the network
// namespace it was opened in: open one after entering the namespace (NetnsScope), and the
// namespace a veth's peer goes to is named by descriptor.
#pragma once

#include <string>
#include <vector>

#include "net/address.hpp"

struct nl_sock;

namespace boxnet {

class Netlink {
 public:
  // A route socket in the caller's network namespace.
  Netlink();
  ~Netlink();
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;

  // 0 when there is no such link.
  int ifindex(const std::string& name);
  // With a MAC address of its own: one left to the kernel is its lowest port's, and changes
  // as ports come and go, leaving every box's ARP entry for the gateway stale for seconds.
  void add_bridge(const std::string& name, unsigned mtu, const std::string& mac);
  // A veth pair in one request: `name` here, a port of `master` and up when master is
  // given; its peer `peer_name` in the network namespace peer_netns_fd, with peer_mac when
  // that is given, down (the kernel refuses a peer made up). One request, where a link made
  // and then changed took five.
  struct VethPair {
    std::string name, peer_name;
    int peer_netns_fd = -1;
    unsigned mtu = 1500;
    std::string master, peer_mac;
  };
  void add_veth(const VethPair& v);
  void set_up(const std::string& name);
  void add_address(const std::string& name, Ipv4 address, int prefix);
  void add_default_route(Ipv4 gateway);
  // Where the main table's routes go, but the default: the networks this namespace reaches.
  std::vector<Subnet> route_destinations();
  // Whether the main table has a default route (the upstream has configured its tap).
  bool has_default_route();
  // Gone already is fine.
  void remove_link(const std::string& name);
  // The links whose master is `bridge`.
  std::vector<std::string> ports_of(const std::string& bridge);

 private:
  struct nl_sock* sock_;
};

}  // namespace boxnet
