// state, list and ps: what the runtime knows of its containers, and the process `exec` runs
// by default.
#include <pwd.h>
#include <sys/stat.h>

#include "cgroup/cgroup.hpp"
#include "lifecycle/container.hpp"
#include "lifecycle/runtime.hpp"
#include "oci/spec.hpp"
#include "util/error.hpp"

namespace boxrt {

ContainerView Runtime::state(const std::string& id) const {
  validate_id(id);
  ContainerRecord r = store_.load(id);
  ContainerView v = r;
  // runc's `owner`: who created it. Looked up here, not at create: name service lookups
  // cost a measurable part of a container start.
  struct stat st;
  if (::stat(store_.dir_of(id).c_str(), &st) == 0) {
    struct passwd* pw = ::getpwuid(st.st_uid);
    v.state.extra["owner"] = pw ? std::string(pw->pw_name) : std::to_string(st.st_uid);
  }
  v.state.status = live_status(store_, r);
  if (v.state.status == oci::Status::stopped) v.state.pid = 0;  // as runc shows it
  return v;
}

std::vector<ContainerView> Runtime::list() const {
  std::vector<ContainerView> out;
  for (const auto& id : store_.ids()) {
    try {
      out.push_back(state(id));
    } catch (const Error&) {
      // deleted while we listed: not there any more
    }
  }
  return out;
}

oci::Process Runtime::default_exec_process(const std::string& id) const {
  validate_id(id);
  ContainerRecord r = store_.load(id);
  oci::Spec spec = oci::load_spec(r.state.bundle + "/config.json");
  if (!spec.process) throw Error("container " + backquoted(id) + " has no process in its config");
  oci::Process p = *spec.process;
  p.terminal = false;
  p.console_size.reset();
  return p;
}

std::vector<int> Runtime::pids(const std::string& id) const {
  ContainerRecord r = store_.load(id);
  if (!r.cgroup.empty()) return cgroup_pids(r.cgroup);
  if (live_status(store_, r) == oci::Status::stopped) return {};
  return pids_in_namespace_of(*r.state.pid);
}

}  // namespace boxrt
