#include "init/plan.hpp"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstring>

#include "init/mount_options.hpp"
#include "ns/namespaces.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

using oci::items;

std::string member(const std::string& list, size_t i) {
  return list + "[" + std::to_string(i) + "]";
}

std::string absolute_in(const std::string& base, const std::string& path) {
  return !path.empty() && path[0] == '/' ? path : base + "/" + path;
}

void plan_namespaces(const oci::Spec& spec, const PlanHost& host, InitPlan& plan) {
  const auto& nss = oci::linux_items(spec, &oci::Linux::namespaces);
  for (size_t i = 0; i < nss.size(); ++i) {
    int flag = namespace_flag(nss[i].type);
    const bool is_new = !nss[i].path || nss[i].path->empty();  // runc reads "" as new too
    if (is_new && flag == CLONE_NEWTIME) {
      plan.new_time_ns = true;  // see InitPlan::time_offsets
      continue;
    }
    if (is_new) {
      plan.clone_flags |= flag;
      continue;
    }
    unique_fd fd = host.open_namespace(*nss[i].path);
    if (!fd)
      throw sys_error(errno,
                      member("linux.namespaces", i) + ".path: open " + backquoted(*nss[i].path));
    // A user namespace is joined first: it grants the capabilities needed to join the
    // others, and the namespaces created afterwards belong to it.
    auto at = flag == CLONE_NEWUSER ? plan.joins.begin() : plan.joins.end();
    plan.joins.emplace(at, flag, std::move(fd));
  }
  // Without one the container is set up in the caller's mount namespace and chroots, as
  // runc does: its mounts stay there after it exits.
  plan.own_mount_ns = has_namespace(plan, CLONE_NEWNS);
}

// Files under /proc that may be bind-mounted over (lxcfs-style virtualisation), as runc
// allows; anything else there could hide or replace the kernel's view (CVE-2019-16884).
bool may_bind_over_proc_file(const std::string& dest) {
  for (const char* ok : {"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
                         "/proc/swaps", "/proc/uptime", "/proc/loadavg", "/proc/slabinfo",
                         "/proc/net/dev", "/proc/sys/kernel/ns_last_pid"})
    if (dest == ok) return true;
  return false;
}

// Nothing but a real procfs goes on /proc, and only a few files under it may be replaced.
void check_proc_destination(const MountStep& s, const std::string& where) {
  const bool is_proc = s.destination == "/proc" || s.destination == "/proc/";
  const bool under_proc = s.destination.rfind("/proc/", 0) == 0 && !is_proc;
  if (is_proc && (s.is_bind || s.type != "proc"))
    throw Error(where + ": only a proc file system may be mounted on /proc");
  if (under_proc && !(s.is_bind && may_bind_over_proc_file(s.destination)))
    throw Error(where + ": " + backquoted(s.destination) +
                " cannot be mounted over: it is inside /proc");
}

MountStep plan_mount(const oci::Mount& m, size_t i, const PlanInputs& in) {
  const std::string where = member("mounts", i);
  MountOptions o = parse_mount_options(items(m.options), where + ".options");
  MountStep s;
  s.destination = m.destination[0] == '/' ? m.destination : "/" + m.destination;
  s.type = m.type.value_or("");
  s.is_bind = o.bind || s.type == "bind";
  s.attr_set = o.attr_set;
  s.attr_clr = o.attr_clr;
  s.attr_recursive = o.attr_recursive;
  s.propagation = o.propagation;
  if (s.is_bind) {
    if (!m.source) throw Error(where + ".source: is required for a bind mount");
    s.source = absolute_in(in.bundle, *m.source);
    mode_t mode = 0;
    if (int err = in.probe().stat_mode(s.source, mode))
      throw sys_error(err, where + ".source: " + backquoted(s.source));
    s.is_file = !S_ISDIR(mode);
    s.type.clear();
    s.flags = MS_BIND | (o.recursive_bind ? MS_REC : 0);
    s.data = o.data;
    check_proc_destination(s, where);
    return s;
  }
  if (s.type.empty()) throw Error(where + ".type: is required unless the mount is a bind mount");
  if (o.copy_up && s.type != "tmpfs")
    throw Error(where + ".options: tmpcopyup is for tmpfs mounts, not " + s.type);
  s.copy_up = o.copy_up;
  s.source = m.source.value_or(s.type);
  s.flags = o.flags;
  s.data = o.data;
  check_proc_destination(s, where);
  if (s.type == "sysfs") s.fallback = MountFallback::bind_host_sys;
  if (s.type == "proc") s.fallback = MountFallback::bind_host_proc;
  if (s.type == "cgroup" || s.type == "cgroup2") {
    // Inside a cgroup namespace a container can mount the unified hierarchy; v1 controllers
    // of a hybrid host it can't, so those come as a bind of the host's tree.
    s.type = "cgroup2";
    s.data.clear();
    s.fallback = MountFallback::bind_host_cgroup;
  }
  if (s.type == "devpts" && s.data.find("gid=") != std::string::npos) {
    s.fallback = MountFallback::devpts_without_gid;
    std::string kept;
    size_t start = 0;
    while (start <= s.data.size()) {
      size_t end = s.data.find(',', start);
      if (end == std::string::npos) end = s.data.size();
      std::string opt = s.data.substr(start, end - start);
      if (opt.rfind("gid=", 0) != 0) kept += (kept.empty() ? "" : ",") + opt;
      start = end + 1;
    }
    s.fallback_data = kept;
  }
  return s;
}

// The namespace a sysctl belongs to (CLONE_NEW*), or 0 when it is global: setting those
// from a container would change the host.
int sysctl_namespace(const std::string& key) {
  static const char* const ipc[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                    "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                    "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (const char* k : ipc)
    if (key == k) return CLONE_NEWIPC;
  if (key.rfind("fs.mqueue.", 0) == 0) return CLONE_NEWIPC;
  if (key.rfind("net.", 0) == 0) return CLONE_NEWNET;
  if (key == "kernel.hostname" || key == "kernel.domainname") return CLONE_NEWUTS;
  return 0;
}

void plan_sysctls(const oci::Spec& spec, InitPlan& plan) {
  if (!spec.linux || !spec.linux->sysctl) return;
  for (const auto& [raw, value] : *spec.linux->sysctl) {
    std::string key = raw;  // runc accepts net/ipv4/ip_forward too
    for (auto& c : key)
      if (c == '/') c = '.';
    const std::string where = "linux.sysctl[" + nlohmann::json(raw).dump() + "]";
    if (key.find("..") != std::string::npos || key.front() == '.' || key.back() == '.')
      throw Error(where + ": not a sysctl name");
    const int ns = sysctl_namespace(key);
    if (ns == 0) throw Error(where + ": not namespaced: setting it would change the host");
    if (!has_namespace(plan, ns))
      throw Error(where + ": the container has no " +
                  (ns == CLONE_NEWNET   ? "network"
                   : ns == CLONE_NEWIPC ? "ipc"
                                        : "uts") +
                  " namespace of its own, so this would change the host's");
    std::string path = "/proc/sys/" + key;
    for (size_t i = 10; i < path.size(); ++i)
      if (path[i] == '.') path[i] = '/';
    plan.sysctls.emplace_back(path, value);
  }
}

void plan_devices(const oci::Spec& spec, const PlanInputs& in, InitPlan& plan) {
  // mknod needs CAP_MKNOD in the initial user namespace: real root, and no user namespace
  // of the container's own (made or joined).
  plan.bind_devices = !in.can_mknod || has_namespace(plan, CLONE_NEWUSER);
  struct Default {
    const char* path;
    unsigned major, minor;
  };
  // The devices every container has (runtime-spec, "Default Devices").
  for (Default d :
       {Default{"/dev/null", 1, 3}, Default{"/dev/zero", 1, 5}, Default{"/dev/full", 1, 7},
        Default{"/dev/random", 1, 8}, Default{"/dev/urandom", 1, 9}, Default{"/dev/tty", 5, 0}}) {
    DeviceStep s;
    s.path = s.host_path = d.path;
    s.mode = S_IFCHR | 0666;
    s.dev = makedev(d.major, d.minor);
    plan.devices.push_back(s);
  }
  const auto& devs = oci::linux_items(spec, &oci::Linux::devices);
  for (size_t i = 0; i < devs.size(); ++i) {
    const auto& d = devs[i];
    // /dev/ptmx is the devpts instance's (a link to pts/ptmx, made with /dev's entries):
    // the host's node would open the host's ptys, and break the container's terminals. runc
    // ignores such an entry too.
    if (d.path == "/dev/ptmx") continue;
    DeviceStep s;
    s.path = s.host_path = d.path;
    mode_t type = d.type == "b" ? S_IFBLK : d.type == "p" ? S_IFIFO : S_IFCHR;
    s.mode = type | (d.file_mode ? *d.file_mode : 0666);
    s.dev = makedev(d.major.value_or(0), d.minor.value_or(0));
    s.uid = d.uid.value_or(0);
    s.gid = d.gid.value_or(0);
    mode_t mode = 0;
    if (int err = plan.bind_devices ? in.probe().stat_mode(s.host_path, mode) : 0)
      throw sys_error(err, member("linux.devices", i) + ": host device " + backquoted(s.host_path) +
                               " (rootless containers bind it)");
    plan.devices.push_back(s);
  }
}

// SELinux labels the file systems the container mounts itself (binds keep their own), as
// a context= mount option.
void plan_mount_label(const oci::Spec& spec, const PlanHost& host, InitPlan& plan) {
  if (!spec.linux || !spec.linux->mount_label || spec.linux->mount_label->empty()) return;
  const std::string& label = *spec.linux->mount_label;
  if (!host.selinux_enabled()) {
    log_warning("linux.mountLabel: " + backquoted(label) +
                " is not applied: SELinux is not enabled on this host");
    return;
  }
  const std::string option = "context=\"" + label + "\"";
  for (auto& m : plan.mounts) {
    if (m.is_bind || (m.type != "tmpfs" && m.type != "devpts" && m.type != "mqueue")) continue;
    m.data += (m.data.empty() ? "" : ",") + option;
    if (!m.fallback_data.empty()) m.fallback_data += "," + option;
  }
}

void plan_root(const oci::Spec& spec, const PlanInputs& in, InitPlan& plan) {
  if (!spec.root) throw Error("root: is required to create a container");
  plan.rootfs = absolute_in(in.bundle, spec.root->path);
  mode_t mode = 0;
  if (int err = in.probe().stat_mode(plan.rootfs, mode))
    throw sys_error(err, "root.path: " + backquoted(plan.rootfs));
  if (!S_ISDIR(mode)) throw Error("root.path: " + backquoted(plan.rootfs) + " is not a directory");
  plan.readonly_root = spec.root->readonly.value_or(false);
  plan.root_propagation = MS_SLAVE | MS_REC;
  if (spec.linux && spec.linux->rootfs_propagation)
    plan.root_propagation = propagation_flags(*spec.linux->rootfs_propagation) | MS_REC;
}

void plan_host_names(const oci::Spec& spec, InitPlan& plan) {
  if ((spec.hostname || spec.domainname) && !has_namespace(plan, CLONE_NEWUTS))
    throw Error(std::string(spec.hostname ? "hostname" : "domainname") +
                ": needs a uts namespace of the container's own");
  plan.hostname = spec.hostname;
  plan.domainname = spec.domainname;
}

void plan_time_offsets(const oci::Spec& spec, InitPlan& plan) {
  if (!plan.new_time_ns || !spec.linux || !spec.linux->time_offsets) return;
  for (auto [name, off] : {std::pair{"monotonic", spec.linux->time_offsets->monotonic},
                           std::pair{"boottime", spec.linux->time_offsets->boottime}})
    if (off)
      plan.time_offsets += std::string(name) + " " + std::to_string(off->secs.value_or(0)) + " " +
                           std::to_string(off->nanosecs.value_or(0)) + "\n";
}

// createContainer and startContainer hooks run in the init; with any create-time hook it
// stops before pivot_root for the runtime's own.
void plan_init_hooks(const oci::Spec& spec, InitPlan& plan) {
  if (!spec.hooks) return;
  const oci::Hooks& h = *spec.hooks;
  plan.create_container_hooks = make_hook_steps(h.create_container);
  plan.start_container_hooks = make_hook_steps(h.start_container);
  plan.hook_stop = !items(h.prestart).empty() || !items(h.create_runtime).empty() ||
                   !plan.create_container_hooks.empty();
}

}  // namespace

bool has_namespace(const InitPlan& plan, int flag) {
  if (plan.clone_flags & flag) return true;
  for (const auto& [f, fd] : plan.joins)
    if (f == flag) return true;
  return false;
}

bool asks_for_reaper(const std::optional<oci::StringMap>& annotations) {
  return annotations && annotations->count(kReaperAnnotation) &&
         annotations->at(kReaperAnnotation) == "1";
}

InitPlan make_plan(const oci::Spec& spec, const PlanInputs& in) {
  using oci::items;
  InitPlan plan;
  plan.no_pivot = in.no_pivot;
  plan.new_keyring = !in.no_new_keyring;
  plan.preserve_fds = in.preserve_fds;
  plan_namespaces(spec, in.probe(), plan);
  plan_root(spec, in, plan);
  const auto& mounts = items(spec.mounts);
  for (size_t i = 0; i < mounts.size(); ++i) {
    MountStep& m = plan.mounts.emplace_back(plan_mount(mounts[i], i, in));
    if (m.destination == "/dev/pts") plan.has_dev_pts = true;
    // A read-only /dev still gets its nodes, links and submounts: read-only once they are
    // made (make_dev_readonly), as runc does it.
    if (m.destination == "/dev" && ((m.flags & MS_RDONLY) || (m.attr_set & MOUNT_ATTR_RDONLY))) {
      plan.readonly_dev = true;
      m.flags &= ~static_cast<unsigned long>(MS_RDONLY);
      m.attr_set &= ~static_cast<uint64_t>(MOUNT_ATTR_RDONLY);
    }
  }
  plan_mount_label(spec, in.probe(), plan);
  plan_devices(spec, in, plan);
  if (spec.linux) {
    plan.masked_paths = items(spec.linux->masked_paths);
    plan.readonly_paths = items(spec.linux->readonly_paths);
  }
  // Masking or a read-only root in the caller's mount namespace would do it to the caller.
  if (!plan.own_mount_ns && (!plan.masked_paths.empty() || !plan.readonly_paths.empty()))
    throw Error(
        std::string(plan.masked_paths.empty() ? "linux.readonlyPaths" : "linux.maskedPaths") +
        ": needs a mount namespace of the container's own");
  if (!plan.own_mount_ns && plan.readonly_root)
    throw Error("root.readonly: needs a mount namespace of the container's own");
  plan_host_names(spec, plan);
  plan_time_offsets(spec, plan);
  plan_sysctls(spec, plan);
  plan_process(spec, in, plan);
  plan_init_hooks(spec, plan);
  plan.reaper = asks_for_reaper(spec.annotations);
  return plan;
}

IdMaps make_id_maps(const oci::Spec& spec, const PlanInputs& in) {
  using oci::items;
  IdMaps maps;
  bool new_userns = false;
  for (const auto& ns : oci::linux_items(spec, &oci::Linux::namespaces))
    new_userns |= ns.type == "user" && !ns.path;
  if (!new_userns) return maps;
  const auto& uids = items(spec.linux->uid_mappings);
  const auto& gids = items(spec.linux->gid_mappings);
  if (uids.empty()) throw Error("linux.uidMappings: required with a new user namespace");
  if (gids.empty()) throw Error("linux.gidMappings: required with a new user namespace");
  if (in.in_session) {
    const PlanHost& host = in.probe();
    maps.uids = translate_to_namespace(uids, host.own_id_map(false), "linux.uidMappings", "uid");
    maps.gids = translate_to_namespace(gids, host.own_id_map(true), "linux.gidMappings", "gid");
  } else {
    maps.uids = as_ranges(uids);
    maps.gids = as_ranges(gids);
  }
  return maps;
}

}  // namespace boxrt
