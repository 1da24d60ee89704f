// Boxes' names in DNS: one hosts file per address in hosts_dir(), "IP NAME", which the
// bridge's dnsmasq re-reads on change (daemon/dns.hpp) and answers as NAME and NAME.box.
// Named by the address, so that a box that takes over an address a killed box left
// replaces that box's name.
#pragma once

#include <string>

#include "net/address.hpp"
#include "net/config.hpp"

namespace boxnet {

// RUNTIME_DIR/boxapp/hosts.
std::string hosts_dir();
// A box name as a DNS label: lower case, anything but letters, digits and - as -
// ("chrome@work" is chrome-work, as its hostname).
std::string dns_name(const std::string& box);

// NAME at `ip`, in place of whatever name `ip` had.
void publish_name(Ipv4 ip, const std::string& box);
// Gone is fine.
void withdraw_name(Ipv4 ip);
// The same while `ip` is still `box`'s (a stopped box's address may be another's now).
void withdraw_name_of(Ipv4 ip, const std::string& box);
// Withdraws the names of addresses no live box holds (boxes that ended on their own, with
// no detach or rm), but the fixed ones; how many.
int withdraw_gone_names(const NetworkConfig& c);
// The names every box reaches whatever is attached: `host` at host_address(), when the
// host's loopback is open to boxes.
void publish_fixed_names(const NetworkConfig& c);

}  // namespace boxnet
