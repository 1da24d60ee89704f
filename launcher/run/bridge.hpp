// [network] mode = "bridge": the box on boxapp-netns's bridge (netns-helper/net/), plumbed
// in-process while the runtime sets the box up, its address in BUNDLE/.ip as the 2016 netns
// hook wrote it. Its lease is the box's while its init lives (net/leases.hpp): freed when the
// box is gone, with nothing to undo, since its veth goes with its network namespace.
#pragma once

#include <sys/types.h>

#include <string>

namespace boxapp {

// The runtime's network_ready for box `name`, whose bundle is `bundle`.
void plumb_bridge(const std::string& name, const std::string& bundle, int netns_fd, pid_t pid);

// The box's address on the bridge, from its bundle; empty for a box that has none.
std::string bridge_ip(const std::string& bundle);

}  // namespace boxapp
