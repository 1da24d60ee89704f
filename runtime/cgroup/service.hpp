// A systemd service's cgroup, when boxapp runs as one (boxapp@APP.service): the box goes in
// it, and the helpers a box starts for the whole session go out of it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace boxrt {

// Whether we run as a systemd service: the manager sets INVOCATION_ID for each.
bool in_systemd_service();

// A helper that outlives the box that started it (the session process, the sound broker,
// the bridge's holder), started from a service: moved out of the service's cgroup into
// DELEGATED/boxapp/helpers. Otherwise stopping the service would kill it, and with it every
// other box of the user's. Nothing where we run as no service, or can't (said at debug).
void leave_service_cgroup(pid_t pid);

// Under a service with Delegate=yes (its cgroup ours to write): moves this process into a
// leaf of it, SERVICE/supervisor (cgroup v2 lets no cgroup with controllers for children hold
// processes itself), and returns SERVICE's path from the tree's root, where the container's
// cgroup may go. nullopt where we run as no service, or it isn't delegated to us.
std::optional<std::string> enter_service_leaf();

}  // namespace boxrt
