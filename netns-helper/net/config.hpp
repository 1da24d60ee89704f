// The bridge network's settings and where its files live: defined here once.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "net/address.hpp"

namespace boxnet {

// Inside the network host namespace: the bridge every box's veth is a port of.
inline constexpr const char* kBridge = "boxapp0";
// Inside a box: its end of the veth pair.
inline constexpr const char* kBoxInterface = "eth0";
// Inside the network host namespace: the user-mode stack's tap device, the way out.
inline constexpr const char* kUpstreamInterface = "up0";

// The link between the network host namespace and the user-mode stack. pasta is given
// slirp4netns's own layout, so that both look the same from the namespace: .2 is the
// host's loopback (both map it there), .3 their DNS forwarder, .100 the namespace's end.
struct UpstreamLink {
  Subnet subnet{{0x0a59ff00}, 24};  // 10.89.255.0/24
  Ipv4 host_loopback{0x0a59ff02};
  Ipv4 dns{0x0a59ff03};
  Ipv4 self{0x0a59ff64};
};
inline constexpr UpstreamLink kUpstreamLink{};

// The user-mode stack that takes boxes' traffic to the outside, or none (box to box only).
enum class Upstream { pasta, slirp4netns, none };
const char* upstream_name(Upstream u);
std::optional<Upstream> parse_upstream(const std::string& name);

struct NetworkConfig {
  Subnet subnet{{0x0a590000}, 24};  // 10.89.0.0/24
  Ipv4 gateway{0x0a590001};         // 10.89.0.1, the bridge's own address, and DNS
  // Both user-mode stacks' own MTU: box to box and out at their fastest.
  unsigned mtu = 65520;
  // slirp4netns: on Debian 12 it moved 7.6 Gbit/s box to host where pasta (2023-03-09)
  // moved 0.68, and pasta never passed on the server's FIN once the box had shut down its
  // sending side (busybox nc does; bench/network measures both).
  Upstream upstream = Upstream::slirp4netns;
  // Boxes reach the host's loopback at host_address(): off where host services must not
  // be open to boxes.
  bool host_loopback = true;
  // Boxes on the bridge can't reach each other (only the gateway and the outside).
  bool isolate = false;
};

// Where boxes reach the host's loopback: the subnet's last address (10.89.0.254), named
// `host.box` in DNS.
Ipv4 host_address(const NetworkConfig& c);
// An address no box gets: the gateway's, and host_address() while it is in use.
bool reserved(const NetworkConfig& c, Ipv4 a);

// $XDG_CONFIG_HOME/boxapp/network.toml: the user's settings (net/config_file.cpp).
std::string network_toml();
// The settings in effect: network.toml's over the defaults. A mistake in it is an error
// naming its file:line:column.
NetworkConfig network_config();
// The same from TOML text, `origin` naming it in errors.
NetworkConfig parse_network_config(std::string_view text, const std::string& origin);

// $XDG_STATE_HOME/boxapp/network: which address each name had (net/leases.hpp), which
// outlives a session so that an app keeps its address from one day to the next.
std::string leases_dir();
// RUNTIME_DIR/boxapp/net.sock and net.lock: the holder of the network host namespace.
std::string holder_socket();
std::string holder_lock();
// RUNTIME_DIR/boxapp/ports.sock: the holder's forwarder of published ports (net/publish.hpp).
std::string ports_socket();
// RUNTIME_DIR/boxapp/upstream: the upstream's state, one line ("up pasta 1234", or "down:
// why"), written by the holder for `status` and `doctor`.
std::string upstream_state_file();
// RUNTIME_DIR/boxapp/dns: the same for the bridge's DNS ("up dnsmasq 1234", "down: why").
std::string dns_state_file();

// The holder's program: boxapp-netns beside the running executable (installed, or staged
// by the tests), in the build tree's netns-helper/, or on PATH.
std::string helper_binary();

// The bridge's end of a box's veth pair, named after the box's address (unique while the
// lease is held): "bx-0a590005". At most 15 characters, as the kernel allows.
std::string host_link_name(Ipv4 box);
// A box's eth0 MAC address, made of its IP as docker makes it: "02:b0:0a:59:00:05" (locally
// administered), so that it is known from the lease alone and stable with the address. The
// bridge's is the gateway's by the same rule.
std::string box_mac(Ipv4 box);

}  // namespace boxnet
