// The init plan as data: which namespaces, mounts (in order, with their flags, options and
// fallbacks), devices, labels and id maps a spec gives, against a host described by a
// table (init/plan_host.hpp) rather than the machine the tests run on. The integration
// tests make the same plans happen in real containers.
#include "init/plan.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>
#include <map>

#include "oci/default_spec.hpp"
#include "oci/make_mount.hpp"
#include "util/error.hpp"

namespace {

using boxrt::IdRange;
using boxrt::InitPlan;
using boxrt::MountFallback;
using boxrt::MountStep;

// A host that has exactly the paths in its table.
class TableHost final : public boxrt::PlanHost {
 public:
  std::map<std::string, mode_t> paths = {
      {"/b/rootfs", S_IFDIR | 0755},    {"/sys", S_IFDIR | 0555},
      {"/dev/null", S_IFCHR | 0666},    {"/dev/zero", S_IFCHR | 0666},
      {"/dev/full", S_IFCHR | 0666},    {"/dev/random", S_IFCHR | 0666},
      {"/dev/urandom", S_IFCHR | 0666}, {"/dev/tty", S_IFCHR | 0666}};
  bool apparmor = false, selinux = false;
  int cap = 40;
  // The session's map: our uid 1000 as 0, then the subordinate range.
  std::vector<IdRange> uid_map = {{0, 1000, 1}, {1, 100000, 65536}};
  std::vector<IdRange> gid_map = {{0, 1000, 1}, {1, 100000, 65536}, {65537, 29, 1}};
  mutable std::vector<std::string> opened;

  std::map<uint32_t, std::string> homes;  // /b/rootfs/etc/passwd
  std::string home_in_rootfs(const std::string& rootfs, uint32_t uid) const override {
    return rootfs == "/b/rootfs" && homes.count(uid) ? homes.at(uid) : "";
  }
  int stat_mode(const std::string& path, mode_t& mode) const override {
    auto it = paths.find(path);
    if (it == paths.end()) return ENOENT;
    mode = it->second;
    return 0;
  }
  boxrt::unique_fd open_namespace(const std::string& path) const override {
    if (!paths.count(path)) {
      errno = ENOENT;
      return {};
    }
    opened.push_back(path);
    return boxrt::unique_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  }
  bool apparmor_enabled() const override { return apparmor; }
  bool selinux_enabled() const override { return selinux; }
  int last_cap() const override { return cap; }
  std::vector<IdRange> own_id_map(bool gids) const override { return gids ? gid_map : uid_map; }
};

struct Fixture {
  TableHost host;
  boxrt::PlanInputs in;
  Fixture() {
    in.bundle = "/b";
    in.host = &host;
  }
  InitPlan plan(const oci::Spec& spec) const { return boxrt::make_plan(spec, in); }
  std::string error_of(const oci::Spec& spec) const {
    try {
      boxrt::make_plan(spec, in);
    } catch (const boxrt::Error& e) {
      return e.what();
    }
    return "planned";
  }
};

std::vector<std::string> destinations(const InitPlan& p) {
  std::vector<std::string> out;
  for (const auto& m : p.mounts)
    out.push_back(m.destination + " " + (m.is_bind ? "bind" : m.type));
  return out;
}

const MountStep& at(const InitPlan& p, const std::string& destination) {
  for (const auto& m : p.mounts)
    if (m.destination == destination) return m;
  FAIL("no mount at " << destination);
  throw;
}

}  // namespace

TEST_CASE("the plan mounts a spec's file systems in its order, each with its flags and fallback") {
  Fixture f;
  InitPlan p = f.plan(oci::default_spec(/*rootless=*/false, 0, 0));
  CHECK(destinations(p) == std::vector<std::string>{"/proc proc", "/dev tmpfs", "/dev/pts devpts",
                                                    "/dev/shm tmpfs", "/dev/mqueue mqueue",
                                                    "/sys sysfs", "/sys/fs/cgroup cgroup2"});
  CHECK(p.rootfs == "/b/rootfs");
  CHECK(p.readonly_root);
  CHECK(p.root_propagation == (MS_SLAVE | MS_REC));
  CHECK(p.has_dev_pts);

  CHECK(at(p, "/proc").fallback == MountFallback::bind_host_proc);
  CHECK(at(p, "/proc").flags == 0);
  const MountStep& dev = at(p, "/dev");
  CHECK(dev.flags == (MS_NOSUID | MS_STRICTATIME));
  CHECK(dev.data == "mode=755,size=65536k");
  CHECK(dev.fallback == MountFallback::none);
  const MountStep& sys = at(p, "/sys");
  CHECK(sys.flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY));
  CHECK(sys.fallback == MountFallback::bind_host_sys);
  // A v1 "cgroup" mount becomes the unified hierarchy, or the host's tree bound.
  const MountStep& cg = at(p, "/sys/fs/cgroup");
  CHECK(cg.data.empty());
  CHECK(cg.fallback == MountFallback::bind_host_cgroup);
  // gid=5 may be unmapped in a user namespace: the fallback drops only that option.
  const MountStep& pts = at(p, "/dev/pts");
  CHECK(pts.fallback == MountFallback::devpts_without_gid);
  CHECK(pts.data == "newinstance,ptmxmode=0666,mode=0620,gid=5");
  CHECK(pts.fallback_data == "newinstance,ptmxmode=0666,mode=0620");
}

TEST_CASE("bind sources are resolved against the bundle and planned as files or directories") {
  Fixture f;
  f.host.paths["/b/data"] = S_IFDIR | 0755;
  f.host.paths["/b/hosts"] = S_IFREG | 0644;
  f.host.paths["/srv/socket"] = S_IFSOCK | 0777;
  oci::Spec s = oci::default_spec(true, 1000, 1000);
  s.mounts = std::vector<oci::Mount>{
      oci::make_mount("/data", "bind", "data", {"rbind", "ro", "nosuid"}),
      oci::make_mount("etc/hosts", "none", "hosts", {"bind"}),
      oci::make_mount("/run/socket", "bind", "/srv/socket", {"bind", "rprivate"}),
  };
  InitPlan p = f.plan(s);
  REQUIRE(p.mounts.size() == 3);
  CHECK(p.mounts[0].source == "/b/data");
  CHECK_FALSE(p.mounts[0].is_file);
  CHECK(p.mounts[0].flags == (MS_BIND | MS_REC));
  CHECK(p.mounts[0].attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID));
  CHECK(p.mounts[1].destination == "/etc/hosts");  // made absolute
  CHECK(p.mounts[1].is_file);
  CHECK(p.mounts[1].flags == MS_BIND);
  CHECK(p.mounts[2].is_file);  // a socket is bound onto a file too
  CHECK(p.mounts[2].propagation == (MS_PRIVATE | MS_REC));
  CHECK_FALSE(p.has_dev_pts);

  s.mounts->push_back(oci::make_mount("/gone", "bind", "/nowhere", {"bind"}));
  CHECK(f.error_of(s) == "mounts[3].source: `/nowhere`: No such file or directory");
}

TEST_CASE("nothing but procfs goes on /proc, and only a few files under it may be bound over") {
  Fixture f;
  f.host.paths["/b/meminfo"] = S_IFREG | 0644;
  oci::Spec s = oci::default_spec(true, 1000, 1000);
  s.mounts = std::vector<oci::Mount>{oci::make_mount("/proc/meminfo", "bind", "meminfo", {"bind"})};
  CHECK(f.plan(s).mounts.size() == 1);
  s.mounts = std::vector<oci::Mount>{oci::make_mount("/proc", "tmpfs", "tmpfs", {})};
  CHECK(f.error_of(s) == "mounts[0]: only a proc file system may be mounted on /proc");
  s.mounts = std::vector<oci::Mount>{oci::make_mount("/proc/self", "bind", "meminfo", {"bind"})};
  CHECK(f.error_of(s) == "mounts[0]: `/proc/self` cannot be mounted over: it is inside /proc");
}

TEST_CASE("new namespaces are clone flags; given ones are opened, the user namespace first") {
  Fixture f;
  oci::Spec s = oci::default_spec(true, 1000, 1000);
  CHECK(f.plan(s).clone_flags == (CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS |
                                  CLONE_NEWCGROUP | CLONE_NEWUSER));
  f.host.paths["/proc/7/ns/net"] = S_IFREG;
  f.host.paths["/proc/7/ns/user"] = S_IFREG;
  s.hostname.reset();
  s.linux->namespaces = std::vector<oci::Namespace>{{"mount", {}, {}},
                                                    {"network", "/proc/7/ns/net", {}},
                                                    {"user", "/proc/7/ns/user", {}},
                                                    {"time", {}, {}}};
  InitPlan p = f.plan(s);
  CHECK(p.clone_flags == CLONE_NEWNS);
  CHECK(p.new_time_ns);  // made by the runtime before clone, not by clone
  REQUIRE(p.joins.size() == 2);
  CHECK(p.joins[0].first == CLONE_NEWUSER);
  CHECK(p.joins[1].first == CLONE_NEWNET);
  CHECK(p.joins[0].second.is_open());
  CHECK(boxrt::has_namespace(p, CLONE_NEWNET));
  CHECK_FALSE(boxrt::has_namespace(p, CLONE_NEWPID));

  s.linux->namespaces->push_back({"ipc", "/proc/8/ns/ipc", {}});
  CHECK(f.error_of(s) ==
        "linux.namespaces[4].path: open `/proc/8/ns/ipc`: No such file or directory");
  // "" is a new namespace, as runc reads it.
  s.linux->namespaces = std::vector<oci::Namespace>{{"pid", {}, {}}, {"ipc", "", {}}};
  s.linux->masked_paths.reset();
  s.linux->readonly_paths.reset();
  s.hostname.reset();
  s.root->readonly = false;
  InitPlan q = f.plan(s);
  CHECK(q.clone_flags == (CLONE_NEWPID | CLONE_NEWIPC));
  // No mount namespace: the caller's, as runc does it; masking would mask the caller's.
  CHECK_FALSE(q.own_mount_ns);
  s.linux->masked_paths = oci::StringList{"/proc/kcore"};
  CHECK(f.error_of(s) == "linux.maskedPaths: needs a mount namespace of the container's own");
}

TEST_CASE("sysctls and host names need a namespace of the container's own, made or joined") {
  Fixture f;
  oci::Spec s = oci::default_spec(true, 1000, 1000);
  s.linux->sysctl = std::map<std::string, std::string>{{"net/ipv4/ip_forward", "1"}};
  CHECK(f.error_of(s) ==
        "linux.sysctl[\"net/ipv4/ip_forward\"]: the container has no network namespace of its "
        "own, so this would change the host's");
  f.host.paths["/proc/7/ns/net"] = S_IFREG;
  s.linux->namespaces->push_back({"network", "/proc/7/ns/net", {}});
  InitPlan p = f.plan(s);
  REQUIRE(p.sysctls.size() == 1);
  CHECK(p.sysctls[0] == std::pair<std::string, std::string>{"/proc/sys/net/ipv4/ip_forward", "1"});
  s.linux->sysctl = std::map<std::string, std::string>{{"vm.swappiness", "1"}};
  CHECK(f.error_of(s) ==
        "linux.sysctl[\"vm.swappiness\"]: not namespaced: setting it would change the host");

  s.linux->sysctl.reset();
  s.linux->namespaces = std::vector<oci::Namespace>{{"mount", {}, {}}};
  CHECK(f.error_of(s) == "hostname: needs a uts namespace of the container's own");
  s.linux->namespaces->push_back({"uts", {}, {}});
  CHECK(f.plan(s).hostname == "boxapp");
}

TEST_CASE("devices are bound from the host when rootless, made with mknod by real root") {
  Fixture f;
  oci::Spec s = oci::default_spec(false, 0, 0);
  oci::Device snd;
  snd.type = "c";
  snd.path = "/dev/snd/timer";
  snd.major = 116;
  snd.minor = 33;
  snd.gid = 29;
  s.linux->devices = std::vector<oci::Device>{snd};
  // Real root, no user namespace of the container's: the nodes are made, the host needn't
  // have them.
  f.in.can_mknod = true;
  InitPlan p = f.plan(s);
  CHECK_FALSE(p.bind_devices);
  REQUIRE(p.devices.size() == 7);  // runtime-spec's six default devices first
  CHECK(p.devices[0].path == "/dev/null");
  CHECK(p.devices[0].dev == makedev(1, 3));
  CHECK(p.devices[6].path == "/dev/snd/timer");
  CHECK(p.devices[6].mode == (S_IFCHR | 0666));
  CHECK(p.devices[6].dev == makedev(116, 33));
  CHECK(p.devices[6].gid == 29);
  // Rootless (or in a user namespace): bound, so the host must have it.
  f.in.can_mknod = false;
  CHECK(f.error_of(s) ==
        "linux.devices[0]: host device `/dev/snd/timer` (rootless containers bind it): No such "
        "file or directory");
  f.host.paths["/dev/snd/timer"] = S_IFCHR | 0660;
  CHECK(f.plan(s).bind_devices);
}

TEST_CASE("security labels apply where the host has the LSM, and name the mounts they label") {
  Fixture f;
  oci::Spec s = oci::default_spec(true, 1000, 1000);
  s.process->apparmor_profile = "boxapp-default";
  s.process->selinux_label = "system_u:system_r:container_t:s0";
  s.linux->mount_label = "system_u:object_r:container_file_t:s0";
  InitPlan without = f.plan(s);
  CHECK(without.apparmor_exec.empty());
  CHECK(without.selinux_exec.empty());
  CHECK(at(without, "/dev").data == "mode=755,size=65536k");
  f.host.apparmor = f.host.selinux = true;
  InitPlan with = f.plan(s);
  CHECK(with.apparmor_exec == "exec boxapp-default");
  CHECK(with.selinux_exec == "system_u:system_r:container_t:s0");
  const std::string context = "context=\"system_u:object_r:container_file_t:s0\"";
  CHECK(at(with, "/dev").data == "mode=755,size=65536k," + context);
  CHECK(at(with, "/dev/mqueue").data == context);
  CHECK(at(with, "/proc").data.empty());  // procfs and binds keep their own labels
  CHECK(at(with, "/sys").data.empty());
}

TEST_CASE("capabilities are masks over what the kernel knows; ambient needs both other sets") {
  Fixture f;
  f.host.cap = 37;
  oci::Spec s = oci::default_spec(true, 1000, 1000);
  s.process->capabilities->ambient = oci::StringList{"CAP_KILL", "CAP_SYS_ADMIN"};
  s.process->capabilities->inheritable = oci::StringList{"CAP_KILL"};
  InitPlan p = f.plan(s);
  CHECK(p.last_cap == 37);
  CHECK(p.set_caps);
  const uint64_t kill = uint64_t{1} << CAP_KILL;
  CHECK(p.cap_bounding ==
        (kill | uint64_t{1} << CAP_AUDIT_WRITE | uint64_t{1} << CAP_NET_BIND_SERVICE));
  CHECK(p.cap_ambient == kill);
  // Names unknown to libcap, or past the kernel's last capability, are skipped (a warning).
  s.process->capabilities->effective =
      oci::StringList{"CAP_NOPE", "CAP_KILL", "CAP_CHECKPOINT_RESTORE"};
  p = f.plan(s);
  CHECK(p.cap_effective == kill);
}

TEST_CASE("HOME, when the spec's env has none: the rootfs's /etc/passwd, else /") {
  CHECK(boxrt::home_of("root:x:0:0::/root:/bin/sh\nbox:x:1000:1000:Box:/home/box:/bin/sh\n",
                       1000) == "/home/box");
  CHECK(boxrt::home_of("root:x:0:0::/root:/bin/sh", 7).empty());
  CHECK(boxrt::home_of("broken:1000\n", 1000).empty());
  Fixture f;
  f.host.homes[0] = "/root";
  oci::Spec s = oci::default_spec(true, 1000, 1000);
  s.process->env = oci::StringList{"PATH=/bin"};
  CHECK(f.plan(s).env == std::vector<std::string>{"PATH=/bin", "HOME=/root"});
  s.process->user->uid = 5;
  CHECK(f.plan(s).env == std::vector<std::string>{"PATH=/bin", "HOME=/"});
  s.process->env->push_back("HOME=/mine");
  CHECK(f.plan(s).env == std::vector<std::string>{"PATH=/bin", "HOME=/mine"});
}

TEST_CASE("the process part: argv and envp ready for execve, PATH for the lookup, rlimits") {
  Fixture f;
  oci::Spec s = oci::default_spec(true, 1000, 1000);
  s.process->env = oci::StringList{"PATH=/opt/bin", "A=1", "HOME=/"};
  InitPlan p = f.plan(s);
  REQUIRE(p.argv.size() == 2);
  CHECK(std::string(p.argv[0]) == "sh");
  CHECK(p.argv[1] == nullptr);
  CHECK(p.envp.size() == 4);
  CHECK(p.search_path == "/opt/bin");
  REQUIRE(p.rlimits.size() == 1);
  CHECK(p.rlimits[0].resource == RLIMIT_NOFILE);
  CHECK(p.rlimits[0].limit.rlim_max == 1024);
  CHECK(p.no_new_privileges);
  CHECK(p.terminal);
  // Without setgroups, extra groups can't be set: said, rather than silently dropped.
  f.in.can_setgroups = false;
  s.process->user->additional_gids = std::vector<uint32_t>{29};
  CHECK(f.error_of(s).rfind("process.user.additionalGids: setgroups is denied", 0) == 0);
}

TEST_CASE("in the session, the spec's host ids become the session's own") {
  Fixture f;
  f.in.in_session = true;
  oci::Spec s = oci::default_spec(true, 1000, 1000);
  s.linux->uid_mappings = std::vector<oci::IdMapping>{{0, 1000, 1, {}}, {1, 100000, 10, {}}};
  s.linux->gid_mappings = std::vector<oci::IdMapping>{{0, 1000, 1, {}}, {29, 29, 1, {}}};
  boxrt::IdMaps m = boxrt::make_id_maps(s, f.in);
  CHECK(m.uids == std::vector<IdRange>{{0, 0, 1}, {1, 1, 10}});
  CHECK(m.gids == std::vector<IdRange>{{0, 0, 1}, {29, 65537, 1}});
  s.linux->uid_mappings->push_back({20, 5000, 1, {}});
  CHECK_THROWS_WITH(boxrt::make_id_maps(s, f.in),
                    "linux.uidMappings[2]: host uid 5000 is not yours to map (not your own id "
                    "and not in your /etc/subuid range)");
  // Outside the session (real root), the spec's maps are written as they are.
  f.in.in_session = false;
  s.linux->uid_mappings->pop_back();
  CHECK(boxrt::make_id_maps(s, f.in).uids == std::vector<IdRange>{{0, 1000, 1}, {1, 100000, 10}});
}
