// [network] mode = "bridge": the box on boxapp-netns's bridge (netns-helper/net/), plumbed
// in-process while the runtime sets the box up, its address in BUNDLE/.ip as the 2016 netns
// hook wrote it. Its lease is the box's while its init lives (net/leases.hpp): freed when the
// box is gone, with nothing to undo, since its veth goes with its network namespace.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "net/attach.hpp"
#include "net/config.hpp"
#include "profile/profile.hpp"

namespace boxapp {

// Before the box is set up: its resolv.conf (the bridge's DNS, names under .box) and its
// hosts, which plumb_bridge completes with its address.
void write_network_files(const boxnet::NetworkConfig& c, const std::string& bundle);
// What the box asks of the bridge beyond its address: the profile's ports and run -p's,
// bound on the host now (a port taken is an error before the box is made), and isolation.
boxnet::BoxRequests bridge_requests(const Profile& p, const std::vector<std::string>& run_ports,
                                    bool publish_all = false);

struct BridgeBox {
  std::string name, hostname, bundle;
};
// The runtime's network_ready for the box.
void plumb_bridge(const boxnet::NetworkConfig& c, const BridgeBox& box,
                  boxnet::BoxRequests& requests, int netns_fd, pid_t pid);
// After box `name`: its name out of the bridge's DNS (its address is free already).
void forget_bridge_name(const std::string& name, const std::string& bundle);

// The box's address on the bridge, from its bundle; empty for a box that has none.
std::string bridge_ip(const std::string& bundle);

}  // namespace boxapp
