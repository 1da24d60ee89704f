// What the lifecycle operations share about a saved container: its init process, the
// processes it holds, and its cgroup.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "lifecycle/state_store.hpp"
#include "util/unique_fd.hpp"

namespace boxrt {

// A pidfd for the container's init, or an invalid fd when it is no longer that process.
unique_fd init_pidfd(const ContainerRecord& r);

bool send_signal(int pidfd, int sig);

// Waits until the process behind pidfd has exited; false after timeout_ms.
bool wait_exit(int pidfd, int timeout_ms);

// The host pids in the pid namespace of `init` (the init alone when it has none of its own).
std::vector<int> pids_in_namespace_of(pid_t init);

// The record of a live container that has a cgroup, for an operation (`op`) that needs one.
ContainerRecord with_cgroup(const StateStore& store, const std::string& id, const char* op);

}  // namespace boxrt
