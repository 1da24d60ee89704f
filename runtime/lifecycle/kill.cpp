// kill: a signal to the container's init (with --all, to every process in it).
#include <signal.h>

#include "cgroup/cgroup.hpp"
#include "lifecycle/container.hpp"
#include "lifecycle/runtime.hpp"
#include "util/error.hpp"

namespace boxrt {

void Runtime::kill(const std::string& id, int sig, bool all) {
  validate_id(id);
  ContainerRecord r = store_.load(id);
  unique_fd pidfd = init_pidfd(r);
  if (!pidfd) throw Error("container " + backquoted(id) + " is not running");
  if (all) {
    for (int pid : r.cgroup.empty() ? pids_in_namespace_of(*r.state.pid) : cgroup_pids(r.cgroup))
      if (pid != *r.state.pid) ::kill(pid, sig);
  }
  if (!send_signal(pidfd.get(), sig))
    throw_errno("kill container " + backquoted(id) + " with signal " + std::to_string(sig));
}

}  // namespace boxrt
