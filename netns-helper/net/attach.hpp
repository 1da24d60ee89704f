// A box on the bridge: a veth pair from the network host namespace into the box's network
// namespace (eth0 there), an address from its lease, the default route through the
// gateway, ICMP echo for its users. Undone step by step when a later step fails: no veth
// or lease is left of a failed attach.
#pragma once

#include <string>
#include <vector>

#include "net/leases.hpp"
#include "net/publish.hpp"

namespace boxnet {

struct Attachment {
  std::string name;
  Ipv4 ip;
  std::string host_link;  // the bridge's end
  std::string mac;        // eth0's, in the box
};

// Plumbs the box `name`, whose network namespace is box_netns_fd (one owned by the
// session's user namespace or a child of it, as every box boxapp starts has). The caller
// is in the session's user namespace. What `requests` asks is the holder's then, until
// holder.pid's process ends (or detach).
Attachment attach(const NetworkConfig& c, const std::string& name, int box_netns_fd, Holder holder,
                  BoxRequests* requests = nullptr);

// Frees the box's lease, its published ports and its veth, if its namespace is still there.
void detach(const std::string& name);

}  // namespace boxnet
