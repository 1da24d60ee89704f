// [network] mode = "bridge": the box on boxapp-netns's bridge (netns-helper/net/), plumbed
// in-process while the runtime sets the box up, its address in BUNDLE/.ip as the 2016 netns
// hook wrote it. Its lease is the box's while its init lives (net/leases.hpp): freed when the
// box is gone, with nothing to undo, since its veth goes with its network namespace.
#pragma once

#include <sys/types.h>

#include <string>

#include "net/config.hpp"

namespace boxapp {

// Before the box is set up: its resolv.conf (the bridge's DNS, names under .box) and its
// hosts, which plumb_bridge completes with its address.
void write_network_files(const boxnet::NetworkConfig& c, const std::string& bundle);
// The runtime's network_ready for box `name`, whose bundle is `bundle`, `hostname` inside.
void plumb_bridge(const boxnet::NetworkConfig& c, const std::string& name,
                  const std::string& hostname, const std::string& bundle, int netns_fd, pid_t pid);
// After box `name`: its name out of the bridge's DNS (its address is free already).
void forget_bridge_name(const std::string& name, const std::string& bundle);

// The box's address on the bridge, from its bundle; empty for a box that has none.
std::string bridge_ip(const std::string& bundle);

}  // namespace boxapp
