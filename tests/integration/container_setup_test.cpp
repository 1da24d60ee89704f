// What a container sees, reported by box-probe from inside.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness.hpp"
#include "ns/idmap.hpp"
#include "oci/make_mount.hpp"
#include "util/sys.hpp"

using namespace itest;

TEST_CASE("the process runs as root of its own user namespace, mapped to the caller") {
  Bundle b;
  json r = probe(b);
  CHECK(r["uid"] == 0);
  CHECK(r["gid"] == 0);
  // Seen from inside, the map's outside column is in the parent (session) namespace.
  CHECK(r["uid_map"].get<std::string>().find("0") != std::string::npos);
}

TEST_CASE("uid and gid maps reach the host ids the spec names, through the session") {
  Runtime rt;
  Bundle b;
  auto sub = map_subordinate_ids(b, 1000);
  if (!sub) return;
  b.spec.process->user->uid = 5;
  b.spec.process->user->gid = 7;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "maps"}).status == 0);
  int pid = init_pid(rt, "maps");
  // Read from the host, the maps are in host ids.
  auto uids = boxrt::parse_id_map(boxrt::read_file("/proc/" + std::to_string(pid) + "/uid_map"));
  auto gids = boxrt::parse_id_map(boxrt::read_file("/proc/" + std::to_string(pid) + "/gid_map"));
  CHECK(uids == std::vector<boxrt::IdRange>{{0, own_uid(), 1}, {1, sub->first, 1000}});
  CHECK(gids == std::vector<boxrt::IdRange>{{0, own_gid(), 1}, {1, sub->second, 1000}});
  struct stat st;
  REQUIRE(::stat(("/proc/" + std::to_string(pid)).c_str(), &st) == 0);
  CHECK(st.st_uid == sub->first + 4);  // container uid 5 = subuid start + 4
  CHECK(st.st_gid == sub->second + 6);
  rt({"delete", "-f", "maps"});
}

TEST_CASE("a host id outside the user's ranges is refused with the mapping named") {
  Runtime rt;
  Bundle b;
  b.spec.linux->uid_mappings = std::vector<oci::IdMapping>{{0, 4000000000u, 1, {}}};
  b.write();
  Result r = rt({"run", "-b", b.path(), "badmap"});
  CHECK(r.status != 0);
  CHECK(r.err.find("linux.uidMappings[0]: host uid 4000000000 is not yours to map") !=
        std::string::npos);
  CHECK(rt.leftovers().empty());
}

TEST_CASE("hostname, domainname, cwd, env, umask and rlimits are as the spec says") {
  Bundle b;
  b.spec.hostname = "boxhost";
  b.spec.domainname = "box.test";
  b.spec.process->cwd = "/tmp/work/dir";
  b.spec.process->env = oci::StringList{"PATH=/bin", "BOX_TEST=yes please"};
  b.spec.process->user->umask = 027;
  b.spec.process->rlimits =
      std::vector<oci::Rlimit>{{"RLIMIT_NOFILE", 123, 456, {}}, {"RLIMIT_CORE", 0, 0, {}}};
  ::mkdir((b.rootfs() + "/tmp/work").c_str(), 0755);
  ::mkdir((b.rootfs() + "/tmp/work/dir").c_str(), 0755);
  json r = probe(b);
  CHECK(r["hostname"] == "boxhost");
  CHECK(r["domainname"] == "box.test");
  CHECK(r["cwd"] == "/tmp/work/dir");
  // HOME added as runc adds it: from the rootfs's /etc/passwd, which has none here.
  CHECK(r["env"] == json::array({"PATH=/bin", "BOX_TEST=yes please", "HOME=/"}));
  CHECK(r["umask"] == "0027");
  CHECK(r["rlimits"]["nofile"] == json::array({123, 456}));
  CHECK(r["rlimits"]["core"] == json::array({0, 0}));
  CHECK(r["argv"] == json::array({"/bin/box-probe"}));
}

TEST_CASE("a new network namespace comes with lo up, and only lo") {
  Runtime rt;
  Bundle b;
  auto& ns = *b.spec.linux->namespaces;
  std::erase_if(ns, [](const oci::Namespace& n) { return n.type == "network"; });
  ns.push_back({"network", std::nullopt, {}});
  // /proc/net follows the process's network namespace (/sys may be the host's, bound in
  // where a user namespace may not mount sysfs).
  b.spec.process->args = oci::StringList{
      "sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; busybox ip -o link"};
  b.write();
  Result r = rt({"run", "-b", b.path(), "lo"});
  CHECK(r.status == 0);
  CHECK(r.out.rfind("lo\n1: lo: <LOOPBACK,UP,LOWER_UP>", 0) == 0);
}

TEST_CASE("args[0] is looked up in the container's PATH") {
  Bundle b;
  b.spec.process->args = oci::StringList{"box-probe", "x"};
  b.spec.process->env = oci::StringList{"PATH=/nowhere:/bin"};
  json r = probe(b);
  CHECK(r["argv"] == json::array({"box-probe", "x"}));  // argv[0] is passed as given
}

TEST_CASE("capabilities of a root process: the spec's bounding set, no_new_privs") {
  Bundle b;
  b.spec.process->capabilities = oci::Capabilities{oci::StringList{"CAP_KILL", "CAP_CHOWN"},
                                                   oci::StringList{"CAP_KILL", "CAP_CHOWN"},
                                                   oci::StringList{},
                                                   oci::StringList{"CAP_KILL", "CAP_CHOWN"},
                                                   oci::StringList{},
                                                   {}};
  b.spec.process->no_new_privileges = true;
  json r = probe(b);
  // CAP_CHOWN = bit 0, CAP_KILL = bit 5. (For uid 0 the kernel makes effective = permitted
  // = bounding at exec, so those are set equal here, as runc's default spec does.)
  CHECK(r["caps"]["bnd"] == "0000000000000021");
  CHECK(r["caps"]["prm"] == "0000000000000021");
  CHECK(r["caps"]["eff"] == "0000000000000021");
  CHECK(r["caps"]["inh"] == "0000000000000000");
  CHECK(r["caps"]["amb"] == "0000000000000000");
  CHECK(r["no_new_privs"] == 1);
}

TEST_CASE("capabilities of a non-root process: exactly the ambient ones") {
  auto sub =
      boxrt::subordinate_range("/etc/subuid", ::getenv("USER") ? ::getenv("USER") : "", own_uid());
  if (!sub || ::access("/usr/bin/newuidmap", X_OK) != 0) {
    WARN("not checked: a non-root container user needs an /etc/subuid range and uidmap");
    return;
  }
  Bundle b;
  b.spec.linux->uid_mappings =
      std::vector<oci::IdMapping>{{0, own_uid(), 1, {}}, {1, sub->outside, 100, {}}};
  b.spec.process->user->uid = 42;
  const oci::StringList kill = {"CAP_KILL"};
  b.spec.process->capabilities =
      oci::Capabilities{oci::StringList{"CAP_KILL", "CAP_CHOWN"}, kill, kill, kill, kill, {}};
  json r = probe(b);
  CHECK(r["uid"] == 42);
  CHECK(r["caps"]["bnd"] == "0000000000000021");
  CHECK(r["caps"]["eff"] == "0000000000000020");
  CHECK(r["caps"]["prm"] == "0000000000000020");
  CHECK(r["caps"]["amb"] == "0000000000000020");
}

TEST_CASE("only stdio and --preserve-fds reach the container") {
  Runtime rt;
  Bundle b;
  b.write();
  // fd 3 and 4 opened for the runtime; --preserve-fds 1 passes only 3 on.
  Result r = run_process({"/bin/sh", "-c",
                          "exec 3</etc/hostname 4</etc/hostname; exec \"$0\" --root \"$1\" run "
                          "--preserve-fds 1 -b \"$2\" fds",
                          runtime_bin(), rt.root(), b.path()});
  REQUIRE(r.status == 0);
  json fds = probe_report(r)["fds"];
  CHECK(fds.contains("0"));
  CHECK(fds.contains("1"));
  CHECK(fds.contains("2"));
  CHECK(fds["3"] == "/etc/hostname");  // the host file, still open
  CHECK(fds.size() == 4);
}

TEST_CASE("mount types and options are applied as the spec says") {
  Bundle b;
  testing::TempDir host;
  std::ofstream(host / "file.txt") << "host data\n";
  ::chmod(host.path().c_str(), 0755);
  auto& mounts = *b.spec.mounts;
  mounts.push_back(
      oci::make_mount("/tmp/small", "tmpfs", "tmpfs", {"size=1m", "mode=700", "noexec"}));
  mounts.push_back(
      oci::make_mount("/mnt/ro", "bind", host.path(), {"rbind", "ro", "nosuid", "nodev"}));
  mounts.push_back(oci::make_mount("/mnt/rw", "none", host.path(), {"bind", "rw", "noexec"}));
  mounts.push_back(oci::make_mount("/etc/one-file", "bind", host / "file.txt", {"bind", "ro"}));
  mounts.push_back(oci::make_mount("/mnt/deep/new/dir", "tmpfs", "tmpfs", {"strictatime"}));
  json r = probe(b);

  json small = find_mount(r, "/tmp/small");
  REQUIRE_FALSE(small.is_null());
  CHECK(small["fstype"] == "tmpfs");
  CHECK(has_option(small, "noexec"));
  CHECK(small["super"].get<std::string>().find("size=1024k") != std::string::npos);
  CHECK(small["super"].get<std::string>().find("mode=700") != std::string::npos);

  json ro = find_mount(r, "/mnt/ro");
  REQUIRE_FALSE(ro.is_null());
  CHECK(has_option(ro, "ro"));
  CHECK(has_option(ro, "nosuid"));
  CHECK(has_option(ro, "nodev"));
  json rw = find_mount(r, "/mnt/rw");
  REQUIRE_FALSE(rw.is_null());
  CHECK(has_option(rw, "rw"));
  CHECK(has_option(rw, "noexec"));
  json file = find_mount(r, "/etc/one-file");
  REQUIRE_FALSE(file.is_null());
  CHECK(has_option(file, "ro"));
  CHECK_FALSE(find_mount(r, "/mnt/deep/new/dir").is_null());

  // The default rootless mounts.
  CHECK(find_mount(r, "/proc")["fstype"] == "proc");
  CHECK(find_mount(r, "/dev")["fstype"] == "tmpfs");
  CHECK(find_mount(r, "/dev/pts")["fstype"] == "devpts");
  CHECK(find_mount(r, "/dev/shm")["fstype"] == "tmpfs");
  CHECK(find_mount(r, "/dev/mqueue")["fstype"] == "mqueue");
  CHECK(has_option(find_mount(r, "/sys"), "ro"));
  CHECK_FALSE(find_mount(r, "/sys/fs/cgroup").is_null());
  // Default devices are bound from the host.
  CHECK(find_mount(r, "/dev/null")["source"] != "");
}

TEST_CASE("a read-only root, masked and read-only paths") {
  Bundle b;
  b.spec.root->readonly = true;
  b.spec.linux->masked_paths =
      oci::StringList{"/proc/kcore", "/sys/firmware", "/no/such/path", "/proc/tty"};
  b.spec.linux->readonly_paths = oci::StringList{"/proc/sys"};
  b.spec.process->args =
      oci::StringList{"sh", "-c",
                      "touch /x 2>/dev/null && echo root-writable; "
                      "cat /proc/kcore | wc -c; ls /sys/firmware | wc -l; ls /proc/tty | wc -l; "
                      "mkdir /sys/firmware/x /proc/tty/x 2>/dev/null && echo mask-writable; "
                      "echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo sys-writable; "
                      "echo done"};
  Runtime rt;
  b.write();
  Result r = rt({"run", "-b", b.path(), "ro"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "0\n0\n0\ndone\n");
}

TEST_CASE("--no-pivot enters the rootfs with MS_MOVE and chroot") {
  Bundle b;
  json r = probe(b, {"--no-pivot"});
  CHECK(r["cwd"] == "/");
  CHECK_FALSE(find_mount(r, "/proc").is_null());
}
TEST_CASE("rro makes every mount below read-only; propagation options are applied") {
  Bundle b;
  auto& mounts = *b.spec.mounts;
  // The host's /sys has mounts below it (cgroup hierarchies): rro reaches them too.
  mounts.push_back(oci::make_mount("/mnt/sys", "bind", "/sys", {"rbind", "rro", "nosuid"}));
  mounts.push_back(oci::make_mount("/mnt/shared", "tmpfs", "tmpfs", {"rshared"}));
  mounts.push_back(oci::make_mount("/mnt/private", "tmpfs", "tmpfs", {"private"}));
  json r = probe(b);
  int below = 0;
  for (const auto& m : r["mounts"]) {
    std::string t = m["target"];
    if (t.rfind("/mnt/sys/", 0) != 0) continue;
    ++below;
    INFO(t);
    CHECK(has_option(m, "ro"));
  }
  CHECK(below > 0);
  CHECK(find_mount(r, "/mnt/shared")["propagation"].get<std::string>().find("shared:") !=
        std::string::npos);
  CHECK(find_mount(r, "/mnt/private")["propagation"] == "");
}

TEST_CASE("/dev has the standard links and devices, and linux.devices from the host") {
  Bundle b;
  oci::Device fuse;
  fuse.type = "c";
  fuse.path = "/dev/fuse";
  fuse.major = 10;
  fuse.minor = 229;
  b.spec.linux->devices = std::vector<oci::Device>{fuse};
  b.spec.process->args = oci::StringList{
      "sh", "-c",
      "for l in fd stdin stdout stderr ptmx; do echo $l $(readlink /dev/$l); done; "
      "for d in null zero full random urandom tty fuse; do test -c /dev/$d && echo char $d; done; "
      "test -d /dev/shm && echo shm; echo x > /dev/null && head -c 4 /dev/zero | wc -c"};
  if (::access("/dev/fuse", F_OK) != 0) {
    WARN("/dev/fuse is missing on this host: checking the default devices only");
    b.spec.linux->devices.reset();
  }
  Runtime rt;
  b.write();
  Result r = rt({"run", "-b", b.path(), "devs"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("fd /proc/self/fd\nstdin /proc/self/fd/0\nstdout /proc/self/fd/1\n"
                   "stderr /proc/self/fd/2\nptmx pts/ptmx\n") == 0);
  for (const char* d : {"null", "zero", "full", "random", "urandom", "tty"})
    CHECK(r.out.find(std::string("char ") + d + "\n") != std::string::npos);
  if (b.spec.linux->devices) CHECK(r.out.find("char fuse\n") != std::string::npos);
  CHECK(r.out.find("shm\n4\n") != std::string::npos);
}

TEST_CASE("with a network namespace of its own, /sys is a real sysfs") {
  Bundle b;
  b.spec.linux->namespaces->push_back({"network", {}, {}});
  for (auto& m : *b.spec.mounts)
    if (m.destination == "/sys") {
      m.type = "sysfs";
      m.source = "sysfs";
      m.options = oci::StringList{"nosuid", "noexec", "nodev", "ro"};
    }
  json r = probe(b);
  json sys = find_mount(r, "/sys");
  CHECK(sys["fstype"] == "sysfs");
  CHECK(has_option(sys, "ro"));
}

TEST_CASE("additionalGids and oomScoreAdj") {
  auto user = ::getenv("USER") ? std::string(::getenv("USER")) : std::string();
  auto subg = boxrt::subordinate_range("/etc/subgid", user, own_uid());
  if (!subg || ::access("/usr/bin/newgidmap", X_OK) != 0) {
    WARN("not checked: supplementary groups need an /etc/subgid range and uidmap");
    return;
  }
  Bundle b;
  b.spec.linux->gid_mappings =
      std::vector<oci::IdMapping>{{0, own_gid(), 1, {}}, {1, subg->outside, 100, {}}};
  b.spec.process->user->gid = 0;
  b.spec.process->user->additional_gids = std::vector<uint32_t>{5, 29};
  b.spec.process->oom_score_adj = 500;
  b.spec.process->args = oci::StringList{"sh", "-c", "id -G; cat /proc/self/oom_score_adj"};
  Runtime rt;
  b.write();
  Result r = rt({"run", "-b", b.path(), "groups"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "0 5 29\n500\n");
}

TEST_CASE("rootfsPropagation sets the propagation of the container's root") {
  Bundle b;
  b.spec.linux->rootfs_propagation = "shared";
  json shared = probe(b);
  CHECK(find_mount(shared, "/")["propagation"].get<std::string>().find("shared:") !=
        std::string::npos);
  Bundle p;
  p.spec.linux->rootfs_propagation = "private";
  json priv = probe(p);
  CHECK(find_mount(priv, "/")["propagation"] == "");
}

TEST_CASE("sysctls of namespaces the container owns are set; others are refused") {
  Bundle b;
  b.spec.linux->namespaces->push_back({"network", {}, {}});
  b.spec.linux->sysctl = std::map<std::string, std::string>{{"kernel.shmmax", "123456789"},
                                                            {"net.ipv4.ip_forward", "1"},
                                                            {"net/ipv4/ip_default_ttl", "42"}};
  b.spec.process->args =
      oci::StringList{"cat", "/proc/sys/kernel/shmmax", "/proc/sys/net/ipv4/ip_forward",
                      "/proc/sys/net/ipv4/ip_default_ttl"};
  Runtime rt;
  b.write();
  Result r = rt({"run", "-b", b.path(), "sysctl"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "123456789\n1\n42\n");
  CHECK(boxrt::read_file("/proc/sys/kernel/shmmax") != "123456789\n");  // the host's is untouched

  Bundle host;
  host.spec.linux->sysctl = std::map<std::string, std::string>{{"vm.swappiness", "1"}};
  host.write();
  Result v = rt({"run", "-b", host.path(), "global"});
  CHECK(v.err ==
        "boxapp-runtime: linux.sysctl[\"vm.swappiness\"]: not namespaced: setting it "
        "would change the host\n");
  Bundle nonet;  // the default rootless spec shares the host's network namespace
  nonet.spec.linux->sysctl = std::map<std::string, std::string>{{"net.ipv4.ip_forward", "1"}};
  nonet.write();
  Result n = rt({"run", "-b", nonet.path(), "nonet"});
  CHECK(n.err ==
        "boxapp-runtime: linux.sysctl[\"net.ipv4.ip_forward\"]: the container has no "
        "network namespace of its own, so this would change the host's\n");
  CHECK(rt.leftovers().empty());
}

TEST_CASE("AppArmor and SELinux fields on a host without them: the box runs, with a warning") {
  if (::access("/sys/fs/selinux/enforce", F_OK) == 0 ||
      (::access("/sys/module/apparmor/parameters/enabled", F_OK) == 0 &&
       boxrt::read_file("/sys/module/apparmor/parameters/enabled").rfind("Y", 0) == 0)) {
    WARN("not checked: this host has AppArmor or SELinux enabled");
    return;
  }
  Bundle b;
  b.spec.process->apparmor_profile = "boxapp-default";
  b.spec.process->selinux_label = "system_u:system_r:container_t:s0";
  b.spec.linux->mount_label = "system_u:object_r:container_file_t:s0";
  b.spec.process->args = oci::StringList{"true"};
  Runtime rt;
  b.write();
  Result r = rt({"run", "-b", b.path(), "lsm"});
  CHECK(r.status == 0);
  CHECK(r.err.find("level=warning msg=\"process.apparmorProfile: AppArmor is not enabled on "
                   "this host; `boxapp-default` is not applied\"") != std::string::npos);
  CHECK(r.err.find("level=warning msg=\"process.selinuxLabel: SELinux is not enabled on this "
                   "host; `system_u:system_r:container_t:s0` is not applied\"") !=
        std::string::npos);
  CHECK(r.err.find("linux.mountLabel: `system_u:object_r:container_file_t:s0` is not applied: "
                   "SELinux is not enabled on this host") != std::string::npos);
}
