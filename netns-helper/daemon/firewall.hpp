// The network host namespace's nftables rules (libnftables; no `nft` or `iptables`
// process): boxes' traffic masqueraded out of the upstream, the host's loopback at
// host_address(), and, with `isolate`, no box reaching another.
#pragma once

#include <string>

#include "net/config.hpp"

namespace boxnet {

// The ruleset, in nft's own syntax: table `ip boxapp` (and `bridge boxapp`).
std::string firewall_ruleset(const NetworkConfig& c);
// Loads it into the caller's network namespace, replacing an older one of ours.
void apply_firewall(const NetworkConfig& c);

}  // namespace boxnet
