#include "init/plan.hpp"

#include <sched.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <chrono>
#include <cstring>

#include "init/mount_options.hpp"
#include "ns/namespaces.hpp"
#include "ns/session.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

using oci::items;

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string member(const std::string& list, size_t i) {
  return list + "[" + std::to_string(i) + "]";
}

std::string absolute_in(const std::string& base, const std::string& path) {
  return !path.empty() && path[0] == '/' ? path : base + "/" + path;
}

void plan_namespaces(const oci::Spec& spec, InitPlan& plan) {
  const auto& nss = oci::linux_items(spec, &oci::Linux::namespaces);
  for (size_t i = 0; i < nss.size(); ++i) {
    int flag = namespace_flag(nss[i].type);
    if (!nss[i].path && flag == CLONE_NEWTIME) {
      plan.new_time_ns = true;  // see InitPlan::time_offsets
      continue;
    }
    if (!nss[i].path) {
      plan.clone_flags |= flag;
      continue;
    }
    int fd = ::open(nss[i].path->c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      throw sys_error(errno,
                      member("linux.namespaces", i) + ".path: open " + backquoted(*nss[i].path));
    // A user namespace is joined first: it grants the capabilities needed to join the
    // others, and the namespaces created afterwards belong to it.
    auto at = flag == CLONE_NEWUSER ? plan.joins.begin() : plan.joins.end();
    plan.joins.emplace(at, flag, unique_fd(fd));
  }
  if ((plan.clone_flags & CLONE_NEWNS) == 0)
    throw Error(
        "linux.namespaces: a mount namespace is required (the root filesystem is "
        "set up in it)");
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
    struct stat st;
    if (::stat(s.source.c_str(), &st) != 0)
      throw sys_error(errno, where + ".source: " + backquoted(s.source));
    s.is_file = !S_ISDIR(st.st_mode);
    s.type.clear();
    s.flags = MS_BIND | (o.recursive_bind ? MS_REC : 0);
    s.data = o.data;
    check_proc_destination(s, where);
    return s;
  }
  if (s.type.empty()) throw Error(where + ".type: is required unless the mount is a bind mount");
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
    bool owned = plan.clone_flags & ns;
    for (const auto& [flag, fd] : plan.joins)
      owned |= flag == ns;
    if (!owned)
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
  bool has_userns = plan.clone_flags & CLONE_NEWUSER;
  for (const auto& [flag, fd] : plan.joins)
    has_userns |= flag == CLONE_NEWUSER;
  plan.bind_devices = !in.can_mknod || has_userns;
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
    DeviceStep s;
    s.path = s.host_path = d.path;
    mode_t type = d.type == "b" ? S_IFBLK : d.type == "p" ? S_IFIFO : S_IFCHR;
    s.mode = type | (d.file_mode ? *d.file_mode : 0666);
    s.dev = makedev(d.major.value_or(0), d.minor.value_or(0));
    s.uid = d.uid.value_or(0);
    s.gid = d.gid.value_or(0);
    if (plan.bind_devices) {
      struct stat st;
      if (::stat(s.host_path.c_str(), &st) != 0)
        throw sys_error(errno, member("linux.devices", i) + ": host device " +
                                   backquoted(s.host_path) + " (rootless containers bind it)");
    }
    plan.devices.push_back(s);
  }
}

uint64_t cap_mask(const std::optional<oci::StringList>& names, const std::string& where) {
  uint64_t mask = 0;
  const auto& list = items(names);
  for (size_t i = 0; i < list.size(); ++i) {
    cap_value_t v;
    if (cap_from_name(list[i].c_str(), &v) != 0)
      throw Error(member(where, i) + ": unknown capability " + list[i]);
    mask |= uint64_t{1} << v;
  }
  return mask;
}

int rlimit_resource(const std::string& name) {
  static const std::pair<const char*, int> table[] = {{"RLIMIT_AS", RLIMIT_AS},
                                                      {"RLIMIT_CORE", RLIMIT_CORE},
                                                      {"RLIMIT_CPU", RLIMIT_CPU},
                                                      {"RLIMIT_DATA", RLIMIT_DATA},
                                                      {"RLIMIT_FSIZE", RLIMIT_FSIZE},
                                                      {"RLIMIT_LOCKS", RLIMIT_LOCKS},
                                                      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
                                                      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
                                                      {"RLIMIT_NICE", RLIMIT_NICE},
                                                      {"RLIMIT_NOFILE", RLIMIT_NOFILE},
                                                      {"RLIMIT_NPROC", RLIMIT_NPROC},
                                                      {"RLIMIT_RSS", RLIMIT_RSS},
                                                      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
                                                      {"RLIMIT_RTTIME", RLIMIT_RTTIME},
                                                      {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
                                                      {"RLIMIT_STACK", RLIMIT_STACK}};
  for (auto& [n, r] : table)
    if (name == n) return r;
  return -1;
}

bool apparmor_enabled() {
  try {
    return read_file("/sys/module/apparmor/parameters/enabled").rfind("Y", 0) == 0;
  } catch (const Error&) {
    return false;
  }
}

bool selinux_enabled() {
  return ::access("/sys/fs/selinux/enforce", F_OK) == 0;
}

// AppArmor and SELinux labels apply where the host has the LSM; elsewhere the container runs
// without them, and says so.
void plan_security_labels(const oci::Spec& spec, InitPlan& plan) {
  const auto& p = *spec.process;
  if (p.apparmor_profile && !p.apparmor_profile->empty()) {
    if (apparmor_enabled())
      plan.apparmor_exec = "exec " + *p.apparmor_profile;
    else
      log_warning("process.apparmorProfile: AppArmor is not enabled on this host; " +
                  backquoted(*p.apparmor_profile) + " is not applied");
  }
  if (p.selinux_label && !p.selinux_label->empty()) {
    if (selinux_enabled())
      plan.selinux_exec = *p.selinux_label;
    else
      log_warning("process.selinuxLabel: SELinux is not enabled on this host; " +
                  backquoted(*p.selinux_label) + " is not applied");
  }
}

// SELinux labels the file systems the container mounts itself (binds keep their own), as
// a context= mount option.
void plan_mount_label(const oci::Spec& spec, InitPlan& plan) {
  if (!spec.linux || !spec.linux->mount_label || spec.linux->mount_label->empty()) return;
  const std::string& label = *spec.linux->mount_label;
  if (!selinux_enabled()) {
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

void plan_process(const oci::Spec& spec, const PlanInputs& in, InitPlan& plan) {
  if (!spec.process) throw Error("process: is required to create a container");
  const oci::Process& p = *spec.process;
  if (!p.args) throw Error("process.args: is required to create a container");
  plan.args = *p.args;
  plan.env = items(p.env);
  plan.search_path = kDefaultPath;
  for (const auto& e : plan.env)
    if (e.rfind("PATH=", 0) == 0) plan.search_path = e.substr(5);
  for (auto& a : plan.args)
    plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  for (auto& e : plan.env)
    plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);
  plan.cwd = p.cwd;
  plan.terminal = p.terminal.value_or(false);
  plan.no_new_privileges = p.no_new_privileges.value_or(false);
  plan.oom_score_adj = p.oom_score_adj;
  if (p.user) {
    plan.uid = p.user->uid;
    plan.gid = p.user->gid;
    if (p.user->umask) plan.umask = static_cast<mode_t>(*p.user->umask);
    for (uint32_t g : items(p.user->additional_gids))
      plan.groups.push_back(g);
  }
  // crun's annotation: keep the supplementary groups we have (so /dev/snd access through
  // the user's audio group keeps working) instead of setting the spec's.
  bool keep_groups = spec.annotations && spec.annotations->count("run.oci.keep_original_groups") &&
                     spec.annotations->at("run.oci.keep_original_groups") == "1";
  plan.set_groups = !keep_groups && in.can_setgroups;
  if (!in.can_setgroups && !plan.groups.empty() && !keep_groups)
    throw Error(
        "process.user.additionalGids: setgroups is denied in this user namespace (it was "
        "mapped without newgidmap: install uidmap and get an /etc/subgid range)");
  const auto& rl = items(p.rlimits);
  for (size_t i = 0; i < rl.size(); ++i) {
    RlimitStep step;
    step.resource = rlimit_resource(rl[i].type);
    step.limit.rlim_cur = static_cast<rlim_t>(rl[i].soft);
    step.limit.rlim_max = static_cast<rlim_t>(rl[i].hard);
    plan.rlimits.push_back(step);
  }
  if (spec.linux && spec.linux->seccomp) {
    auto t0 = std::chrono::steady_clock::now();
    bool cached = false;
    plan.seccomp = in.seccomp_cache.empty()
                       ? compile_seccomp(*spec.linux->seccomp)
                       : compile_seccomp_cached(*spec.linux->seccomp, in.seccomp_cache, &cached);
    if (log_enabled(LogLevel::debug)) {
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - t0);
      log_debug("linux.seccomp: " + std::to_string(plan.seccomp->code.size()) +
                " BPF instructions, " + (cached ? "from the cache" : "compiled") + " in " +
                std::to_string(us.count()) + " us");
    }
  }
  plan_security_labels(spec, plan);
  plan.set_caps = true;  // absent capabilities mean none, not "keep everything"
  try {
    plan.last_cap = std::stoi(read_file("/proc/sys/kernel/cap_last_cap"));
  } catch (const std::exception&) {
    plan.last_cap = CAP_LAST_CAP;
  }
  if (p.capabilities) {
    const auto& c = *p.capabilities;
    plan.cap_bounding = cap_mask(c.bounding, "process.capabilities.bounding");
    plan.cap_effective = cap_mask(c.effective, "process.capabilities.effective");
    plan.cap_permitted = cap_mask(c.permitted, "process.capabilities.permitted");
    plan.cap_inheritable = cap_mask(c.inheritable, "process.capabilities.inheritable");
    // The kernel allows an ambient capability only if it is permitted and inheritable.
    // `runc spec` lists ambient ones with an empty inheritable set and runc runs it, dropping
    // them; do the same rather than refuse such configs.
    const uint64_t ambient = cap_mask(c.ambient, "process.capabilities.ambient");
    plan.cap_ambient = ambient & plan.cap_permitted & plan.cap_inheritable;
    if (plan.cap_ambient != ambient)
      log_debug(
          "process.capabilities.ambient: dropping those not both permitted and "
          "inheritable");
  }
}

}  // namespace

InitPlan make_plan(const oci::Spec& spec, const PlanInputs& in) {
  using oci::items;
  InitPlan plan;
  plan.no_pivot = in.no_pivot;
  plan.new_keyring = !in.no_new_keyring;
  plan.preserve_fds = in.preserve_fds;
  plan_namespaces(spec, plan);
  if (!spec.root) throw Error("root: is required to create a container");
  plan.rootfs = absolute_in(in.bundle, spec.root->path);
  struct stat st;
  if (::stat(plan.rootfs.c_str(), &st) != 0)
    throw sys_error(errno, "root.path: " + backquoted(plan.rootfs));
  if (!S_ISDIR(st.st_mode))
    throw Error("root.path: " + backquoted(plan.rootfs) + " is not a directory");
  plan.readonly_root = spec.root->readonly.value_or(false);
  plan.root_propagation = MS_SLAVE | MS_REC;
  if (spec.linux && spec.linux->rootfs_propagation)
    plan.root_propagation = propagation_flags(*spec.linux->rootfs_propagation) | MS_REC;

  const auto& mounts = items(spec.mounts);
  for (size_t i = 0; i < mounts.size(); ++i) {
    plan.mounts.push_back(plan_mount(mounts[i], i, in));
    if (plan.mounts.back().destination == "/dev/pts") plan.has_dev_pts = true;
  }
  plan_mount_label(spec, plan);
  plan_devices(spec, in, plan);
  if (spec.linux) {
    plan.masked_paths = items(spec.linux->masked_paths);
    plan.readonly_paths = items(spec.linux->readonly_paths);
  }
  bool own_uts = plan.clone_flags & CLONE_NEWUTS;
  if ((spec.hostname || spec.domainname) && !own_uts) {
    bool joined = false;
    for (auto& [flag, fd] : plan.joins)
      joined |= flag == CLONE_NEWUTS;
    if (!joined)
      throw Error(std::string(spec.hostname ? "hostname" : "domainname") +
                  ": needs a uts namespace of the container's own");
  }
  if (plan.new_time_ns && spec.linux && spec.linux->time_offsets) {
    for (auto [name, off] : {std::pair{"monotonic", spec.linux->time_offsets->monotonic},
                             std::pair{"boottime", spec.linux->time_offsets->boottime}})
      if (off)
        plan.time_offsets += std::string(name) + " " + std::to_string(off->secs.value_or(0)) + " " +
                             std::to_string(off->nanosecs.value_or(0)) + "\n";
  }
  plan_sysctls(spec, plan);
  plan.hostname = spec.hostname;
  plan.domainname = spec.domainname;
  plan_process(spec, in, plan);
  if (spec.hooks) {
    const oci::Hooks& h = *spec.hooks;
    plan.create_container_hooks = make_hook_steps(h.create_container);
    plan.start_container_hooks = make_hook_steps(h.start_container);
    plan.hook_stop = !items(h.prestart).empty() || !items(h.create_runtime).empty() ||
                     !plan.create_container_hooks.empty();
  }
  return plan;
}

InitPlan make_exec_plan(const oci::Spec& spec, const PlanInputs& in) {
  InitPlan plan;
  plan.preserve_fds = in.preserve_fds;
  plan_process(spec, in, plan);
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
    maps.uids = translate_to_namespace(uids, own_uid_map(), "linux.uidMappings", "uid");
    maps.gids = translate_to_namespace(gids, own_gid_map(), "linux.gidMappings", "gid");
  } else {
    maps.uids = as_ranges(uids);
    maps.gids = as_ranges(gids);
  }
  return maps;
}

}  // namespace boxrt
