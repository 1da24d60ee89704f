// The init plan: everything the container's init must do, computed by the parent from the
// spec before clone. The child then only walks the plan making system calls — no parsing,
// no allocation — so it is safe even when the parent was multi-threaded (the launcher).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "init/plan_host.hpp"
#include "init/seccomp.hpp"
#include "lifecycle/hooks.hpp"
#include "ns/idmap.hpp"
#include "oci/spec.hpp"
#include "util/unique_fd.hpp"

namespace boxrt {

// The runtime's own pid 1 in front of the process (init/reaper.cpp), when set to "1". Other
// runtimes ignore it: the process is pid 1 there.
constexpr const char* kReaperAnnotation = "org.boxapp.runtime.reaper";
bool asks_for_reaper(const std::optional<oci::StringMap>& annotations);

// What to do when a mount the spec asks for is refused in a user namespace.
enum class MountFallback {
  none,
  bind_host_sys,       // sysfs needs a network namespace of our own: rbind the host's /sys
  bind_host_proc,      // procfs needs a pid namespace of our own: rbind the host's /proc
  bind_host_cgroup,    // cgroup hierarchies a namespace can't mount: rbind the host's
  devpts_without_gid,  // gid=N unmapped in the container: drop the option
};

struct MountStep {
  std::string source;       // host path for binds (absolute), else the fs source name
  std::string destination;  // absolute path inside the container
  std::string type;         // fs type; empty for binds
  bool is_bind = false;
  bool is_file = false;     // bind of a non-directory: the target is a file
  unsigned long flags = 0;  // MS_* passed to mount(2)
  std::string data;         // fs-specific options
  std::string fallback_data;
  uint64_t attr_set = 0, attr_clr = 0;  // MOUNT_ATTR_* applied with mount_setattr
  bool attr_recursive = false;
  unsigned long propagation = 0;  // MS_PRIVATE/MS_SHARED/... (| MS_REC), 0 = leave
  MountFallback fallback = MountFallback::none;
  bool copy_up = false;  // tmpcopyup: a tmpfs filled with the directory it covers
};

struct DeviceStep {
  std::string path;       // inside the container
  std::string host_path;  // bind source when binding
  mode_t mode = 0;        // S_IFCHR/S_IFBLK/S_IFIFO | permissions
  dev_t dev = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct RlimitStep {
  int resource;
  struct rlimit limit;
};

struct InitPlan {
  // Namespaces created by clone, and those joined by path (type flag, open fd).
  int clone_flags = 0;
  // The runtime joins them before clone, except a mount namespace, which the init joins:
  // the runtime goes on writing the container's state in its own.
  std::vector<std::pair<int, unique_fd>> joins;
  bool own_mount_ns = true;  // cloned or joined; else the caller's, and chroot

  // Filesystem.
  std::string rootfs;  // absolute host path
  bool readonly_root = false;
  bool readonly_dev = false;  // the /dev mount asked for ro: applied after what goes in it
  unsigned long root_propagation = 0;
  bool no_pivot = false;
  std::vector<MountStep> mounts;
  bool bind_devices = true;  // rootless: bind host nodes; real root: mknod
  std::vector<DeviceStep> devices;
  std::vector<std::string> masked_paths, readonly_paths;
  std::vector<std::pair<std::string, std::string>> sysctls;  // /proc/sys/... path, value
  bool has_dev_pts = false;

  // Identity and host name.
  std::optional<std::string> hostname, domainname;
  bool new_keyring = true;  // join a fresh session keyring (off with --no-new-keyring)
  uid_t uid = 0;
  gid_t gid = 0;
  bool set_groups =
      true;  // false: keep the groups we have (docs/design.md, "Identity, groups and devices")
  std::vector<gid_t> groups;
  std::optional<mode_t> umask;

  // Process.
  std::vector<std::string> args, env;
  std::vector<char*> argv, envp;  // point into args/env, null-terminated
  std::string search_path;        // PATH used to find args[0]
  std::string cwd;
  std::vector<RlimitStep> rlimits;
  std::optional<int> oom_score_adj;
  bool no_new_privileges = false;
  bool set_caps = false;
  int last_cap = 40;  // /proc/sys/kernel/cap_last_cap
  uint64_t cap_bounding = 0, cap_effective = 0, cap_permitted = 0, cap_inheritable = 0,
           cap_ambient = 0;
  bool terminal = false;
  bool reaper = false;  // kReaperAnnotation: the init stays as pid 1 (init/reaper.cpp)
  std::optional<std::pair<unsigned short, unsigned short>> console_size;  // rows, columns
  int preserve_fds = 0;
  std::optional<SeccompProgram> seccomp;
  // Written to /proc/self/attr/... right before execve, where the host has the LSM.
  std::string apparmor_exec;  // "exec PROFILE"
  std::string selinux_exec;   // the process label

  // Hooks run by the init. With any create-time hook the init stops before pivot_root for
  // the runtime to run prestart and createRuntime hooks, then runs createContainer ones.
  bool hook_stop = false;
  std::vector<HookStep> create_container_hooks, start_container_hooks;

  // Time namespace: created by the runtime before clone (offsets must be written before any
  // process enters it), as "monotonic S N\nboottime S N\n" for /proc/self/timens_offsets.
  bool new_time_ns = false;
  std::string time_offsets;
};

struct PlanInputs {
  std::string bundle;  // absolute
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;
  int listen_fds = 0;  // socket activation's, passed on (LISTEN_FDS, LISTEN_PID=1)
  std::string listen_fdnames;
  bool in_session = false;    // ids in the spec are host ids; translate into the session's
  bool can_setgroups = true;  // see setgroups_allowed()
  bool can_mknod = false;     // real root in the initial user namespace
  std::string seccomp_cache;  // directory of compiled filters; empty: always compile
  // What the plan asks of the host (init/plan_host.hpp); null: live_plan_host().
  const PlanHost* host = nullptr;
  const PlanHost& probe() const { return host ? *host : live_plan_host(); }
};

// The maps to write for the container's new user namespace (empty when it has none).
struct IdMaps {
  std::vector<IdRange> uids, gids;
};

// Whether the plan gives the container a namespace of this kind (CLONE_NEW*) of its own,
// made by clone or joined by path, rather than sharing the runtime's.
bool has_namespace(const InitPlan& plan, int flag);

InitPlan make_plan(const oci::Spec& spec, const PlanInputs& in);
// Sets KEY=VALUE in the plan's environment (replacing KEY's entry, else appended), envp kept
// pointing into it.
void set_env(InitPlan& plan, const std::string& entry);
// Only the process part (identity, capabilities, rlimits, args, env, cwd, terminal): for a
// process joining a running container.
InitPlan make_exec_plan(const oci::Spec& spec, const PlanInputs& in);
// That part of either (init/plan_process.cpp).
void plan_process(const oci::Spec& spec, const PlanInputs& in, InitPlan& plan);
IdMaps make_id_maps(const oci::Spec& spec, const PlanInputs& in);

}  // namespace boxrt
