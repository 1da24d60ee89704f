// delete: the container's processes, cgroup and state go, then its poststop hooks run.
#include <signal.h>

#include <optional>

#include "cgroup/cgroup.hpp"
#include "lifecycle/container.hpp"
#include "lifecycle/hooks.hpp"
#include "lifecycle/runtime.hpp"
#include "util/error.hpp"

namespace boxrt {

void Runtime::remove(const std::string& id, bool force) {
  validate_id(id);
  std::optional<FileLock> lock;
  try {
    lock.emplace(store_.lock(id));
  } catch (const Error&) {
    if (force) return;  // nothing to delete: as runc, --force makes that a success
    throw;
  }
  if (!store_.exists(id)) {
    store_.erase(id);  // a create that died half way
    if (force) return;
    throw_no_such_container(id);
  }
  ContainerRecord r = store_.load(id);
  oci::Status st = live_status(store_, r);
  if ((st == oci::Status::running || st == oci::Status::paused) && !force)
    throw Error("container " + backquoted(id) +
                " is running: stop it first, or use delete --force to kill it");
  destroy(r);
}

void Runtime::destroy(ContainerRecord& r) {
  const std::string& id = r.state.id;
  if (!r.cgroup.empty() && cgroup_frozen(r.cgroup)) freeze_cgroup(r.cgroup, false);
  if (unique_fd pidfd = init_pidfd(r)) {
    // Killing the init of a pid namespace kills everything in it.
    if (send_signal(pidfd.get(), SIGKILL) && !wait_exit(pidfd.get(), 10000))
      throw Error("container " + backquoted(id) + " did not die after SIGKILL");
  }
  // And the cgroup holds whatever is left outside one.
  if (!r.cgroup.empty() && !destroy_cgroup(r.cgroup))
    throw Error("container " + backquoted(id) + ": its cgroup " + backquoted(r.cgroup) +
                " would not empty");
  store_.erase(id);
  r.state.status = oci::Status::stopped;
  run_hooks_warning("poststop", r.hooks.poststop, r.state);
}

}  // namespace boxrt
