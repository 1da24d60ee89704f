// The container's new network namespace, made beside the init rather than by it: creating
// one costs about a millisecond of kernel work (sysctl tables, the loopback device), which
// a helper does while the init sets up its mounts. The init joins it before the first mount
// that needs it (sysfs) — see join_network in init/process.cpp.
//
// Or made ahead, before the container exists, by the session (spare_network.hpp).
#pragma once

#include <linux/sched.h>
#include <sys/types.h>

#include "util/unique_fd.hpp"

namespace boxrt {

// A new network namespace with `lo` up, owned by the user namespace `userns_fd` (the
// container's) or, when it is -1, by the caller's. Throws with the failing step.
unique_fd create_network_namespace(int userns_fd);

struct SpareNetwork {
  unique_fd net, sysfs;
};

// For the session process: a new network namespace owned by the caller's user namespace,
// with `lo` up and a sysfs of it, mounted nowhere yet. Throws with the failing step.
SpareNetwork make_spare_network();

// A child of ours that has exited or is about to, waited for when this goes: later than at
// once, when its last moments can overlap our own work.
class ExitingChild {
 public:
  ExitingChild() = default;
  explicit ExitingChild(pid_t pid) : pid_(pid) {}
  ExitingChild(ExitingChild&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
  ExitingChild& operator=(ExitingChild&&) = delete;
  ~ExitingChild();

 private:
  pid_t pid_ = -1;
};

// clone3(args) into network namespace `net_fd`, ours staying as it is: a vfork child joins
// it and clones with CLONE_PARENT, so the new process is our child. That process runs
// child(arg), which must not return. The pid, or -1 with errno set; `intermediate` is set
// to the vfork child, exiting, for an ExitingChild to wait for.
long clone3_in_network(struct clone_args& args, int net_fd, void (*child)(void*), void* arg,
                       pid_t& intermediate);

}  // namespace boxrt
