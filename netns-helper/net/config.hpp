// The bridge network's settings and where its files live: defined here once.
#pragma once

#include <string>

#include "net/address.hpp"

namespace boxnet {

// Inside the network host namespace: the bridge every box's veth is a port of.
inline constexpr const char* kBridge = "boxapp0";
// Inside a box: its end of the veth pair.
inline constexpr const char* kBoxInterface = "eth0";

struct NetworkConfig {
  Subnet subnet{{0x0a590000}, 24};  // 10.89.0.0/24
  Ipv4 gateway{0x0a590001};         // 10.89.0.1, the bridge's own address
  unsigned mtu = 1500;
};

// The settings in effect (today the defaults; network.toml comes with the upstream).
NetworkConfig network_config();

// $XDG_STATE_HOME/boxapp/network: the leases, which outlive a session so that an app keeps
// its address from one day to the next.
std::string leases_dir();
// RUNTIME_DIR/boxapp/net.sock and net.lock: the holder of the network host namespace.
std::string holder_socket();
std::string holder_lock();

// The bridge's end of a box's veth pair, named after the box's address (unique while the
// lease is held): "bx-0a590005". At most 15 characters, as the kernel allows.
std::string host_link_name(Ipv4 box);

}  // namespace boxnet
