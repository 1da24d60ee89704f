// The Runtime object: its options, the state root, and joining the session once.
#include "lifecycle/runtime.hpp"

#include <unistd.h>

#include "ns/session.hpp"
#include "util/user_dirs.hpp"

namespace boxrt {

Runtime::Runtime(RuntimeOptions options)
    : store_(options.root.empty() ? default_root() : options.root),
      cgroup_manager_(options.cgroup_manager),
      resources_required_(options.resources_required) {
  const bool is_root = ::geteuid() == 0;
  rootless_ = options.rootless == RootlessMode::yes ||
              (options.rootless == RootlessMode::automatic && !is_root);
  can_mknod_ = is_root && !rootless_ && in_initial_user_namespace();
}

std::string Runtime::default_root() {
  // As runc and crun decide it: only real root owns /run. Uid 0 in a user namespace (podman
  // rootless runs its runtime so) is a user, and keeps its state under its runtime dir.
  if (::geteuid() == 0 && in_initial_user_namespace()) return "/run/boxapp-runtime";
  return user_runtime_dir() + "/boxapp-runtime";
}

void Runtime::enter_session_once() {
  if (joined_session_ || ::geteuid() == 0) return;
  Session s = ensure_session();
  join_session(s);
  joined_session_ = true;
}

}  // namespace boxrt
