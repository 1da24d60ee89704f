// update: new limits for a created or running container's cgroup.
#include "cgroup/cgroup.hpp"
#include "lifecycle/container.hpp"
#include "lifecycle/runtime.hpp"

namespace boxrt {

void Runtime::update(const std::string& id, const oci::Resources& resources) {
  FileLock lock = store_.lock(id);
  ContainerRecord r = with_cgroup(store_, id, "update");
  update_cgroup(r.cgroup, resources);
}

}  // namespace boxrt
