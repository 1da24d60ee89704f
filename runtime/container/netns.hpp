// The container's new network namespace, made beside the init rather than by it: creating
// one costs about a millisecond of kernel work (sysctl tables, the loopback device), which
// a helper does while the init sets up its mounts. The init joins it before the first mount
// that needs it (sysfs) — see join_network in init_process.cpp.
#pragma once

#include "util/unique_fd.hpp"

namespace boxrt {

// A new network namespace with `lo` up, owned by the user namespace `userns_fd` (the
// container's) or, when it is -1, by the caller's. Throws with the failing step.
unique_fd create_network_namespace(int userns_fd);

}  // namespace boxrt
