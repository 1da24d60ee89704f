// pause and resume: the container's cgroup frozen and thawed.
#include "cgroup/cgroup.hpp"
#include "lifecycle/container.hpp"
#include "lifecycle/runtime.hpp"
#include "util/error.hpp"

namespace boxrt {

void Runtime::pause(const std::string& id) {
  FileLock lock = store_.lock(id);
  ContainerRecord r = with_cgroup(store_, id, "pause");
  oci::Status st = live_status(store_, r);
  if (st != oci::Status::running)
    throw Error("container " + backquoted(id) + " is " + std::string(oci::to_string(st)) +
                ": only a running container can be paused");
  freeze_cgroup(r.cgroup, true);
}

void Runtime::resume(const std::string& id) {
  FileLock lock = store_.lock(id);
  ContainerRecord r = with_cgroup(store_, id, "resume");
  if (live_status(store_, r) != oci::Status::paused)
    throw Error("container " + backquoted(id) + " is not paused");
  freeze_cgroup(r.cgroup, false);
}

}  // namespace boxrt
