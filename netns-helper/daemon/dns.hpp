// DNS for boxes: dnsmasq on the gateway's address inside the network host namespace,
// answering boxes' names (net/names.hpp) and forwarding the rest to the upstream's DNS
// forwarder. A child of the holder's: it dies with it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "net/config.hpp"
#include "util/unique_fd.hpp"

namespace boxnet {

// Its command line: no configuration file of the host's, no /etc/hosts or resolv.conf,
// bare names and .box never forwarded.
std::vector<std::string> dns_argv(const NetworkConfig& c);

struct Dns {
  pid_t pid = 0;
  boxrt::unique_fd pidfd;  // readable once it has exited
};
// Starts it and waits (up to a second) until it answers on the gateway's port 53.
Dns start_dns(const NetworkConfig& c);

}  // namespace boxnet
