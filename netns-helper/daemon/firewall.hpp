// The network host namespace's nftables rules (libnftables; no `nft` or `iptables`
// process): boxes' traffic masqueraded out of the upstream, the host's loopback at
// host_address(), and no box reaching another: none at all with network.toml's `isolate`,
// or not the boxes whose profile says `isolate`, whose bridge ends are in the set
// `bridge boxapp isolated`.
#pragma once

#include <string>

#include "net/config.hpp"

namespace boxnet {

// The ruleset, in nft's own syntax: table `ip boxapp` (and `bridge boxapp`).
std::string firewall_ruleset(const NetworkConfig& c);
// Loads it into the caller's network namespace, replacing an older one of ours.
void apply_firewall(const NetworkConfig& c);

// The bridge end `link` (host_link_name()) into the isolated set, or out of it.
std::string isolation_command(const std::string& link, bool on);
void set_isolated(const std::string& link, bool on);

}  // namespace boxnet
