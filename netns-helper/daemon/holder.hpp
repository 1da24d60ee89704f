// The holder of the network host namespace, `boxapp-netns daemon`: a process of its own
// (a namespace lives while something is in it), started by the first attach or as a user
// service. It makes the namespace and its bridge, loads the firewall, has the keeper start
// the upstream, hands the namespace out on holder_socket(), and exits once no box has been
// attached for a while. Its state for `status` is in upstream_state_file().
#pragma once

#include "net/config.hpp"

namespace boxnet {

// ready_fd: a pipe to write an error to, or close once serving; -1 to stay in the
// foreground, as a service, with errors on stderr. Returns only with an exit status.
int run_holder(const NetworkConfig& c, int ready_fd);

}  // namespace boxnet
