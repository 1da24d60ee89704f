// As real root the runtime is rootful: no session, device nodes made with mknod. scripts/test
// runs these ("[root]") as root; for anyone else they are skipped with a warning.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "oci/make_mount.hpp"

using namespace itest;

namespace {

// The bundle without these namespaces (and, without a user namespace, its id maps).
void drop_namespaces(Bundle& b, const std::vector<std::string>& types) {
  std::erase_if(*b.spec.linux->namespaces, [&](const oci::Namespace& ns) {
    return std::find(types.begin(), types.end(), ns.type) != types.end();
  });
  b.spec.linux->uid_mappings.reset();
  b.spec.linux->gid_mappings.reset();
}

}  // namespace

TEST_CASE("as real root without a user namespace, devices are made with mknod", "[root]") {
  if (!real_root()) return;
  Runtime rt;
  Bundle b;
  drop_namespaces(b, {"user"});
  oci::Device dev;
  dev.type = "c";
  dev.path = "/dev/box-zero";  // need not exist on the host: it is made, not bound
  dev.major = 1;
  dev.minor = 5;
  dev.file_mode = 0640;
  dev.uid = 7;
  dev.gid = 8;
  b.spec.linux->devices = std::vector<oci::Device>{dev};
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "rootful"}).status == 0);
  const std::string root = "/proc/" + std::to_string(init_pid(rt, "rootful")) + "/root";
  struct stat st;
  REQUIRE(::stat((root + "/dev/box-zero").c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(major(st.st_rdev) == 1);
  CHECK(minor(st.st_rdev) == 5);
  CHECK((st.st_mode & 07777) == 0640);
  CHECK(st.st_uid == 7);
  CHECK(st.st_gid == 8);
  REQUIRE(::stat((root + "/dev/null").c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == makedev(1, 3));
  Result probe = rt({"exec", "rootful", "/bin/box-probe"});
  REQUIRE(probe.status == 0);
  // mknod'ed, not bound: no mount at /dev/null.
  CHECK(find_mount(probe_report(probe), "/dev/null").is_null());
  rt({"delete", "-f", "rootful"});
}

TEST_CASE("as real root with a user namespace of subordinate ids only, devices are bound",
          "[root]") {
  if (!real_root()) return;
  Runtime rt;
  Bundle b;
  // Root of the container is host uid 300000: not the runtime's own uid.
  b.spec.linux->uid_mappings = std::vector<oci::IdMapping>{{0, 300000, 1000, {}}};
  b.spec.linux->gid_mappings = std::vector<oci::IdMapping>{{0, 300000, 1000, {}}};
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  Result r = rt({"run", "-d", "-b", b.path(), "subroot"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string proc = "/proc/" + std::to_string(init_pid(rt, "subroot"));
  struct stat st;
  REQUIRE(::stat(proc.c_str(), &st) == 0);
  CHECK(st.st_uid == 300000);
  Result probe = rt({"exec", "subroot", "/bin/box-probe"});
  REQUIRE(probe.status == 0);
  CHECK_FALSE(find_mount(probe_report(probe), "/dev/null").is_null());
  rt({"delete", "-f", "subroot"});
}

// The spec's modes whatever the caller's umask: containerd runs its shim with 022, which
// mknod would apply, and a non-root process could not write a crw-r--r-- /dev/null.
TEST_CASE("as real root, default device nodes are 0666 under umask 022", "[root]") {
  if (!real_root()) return;
  Runtime rt;
  Bundle b;
  drop_namespaces(b, {"user"});
  b.spec.process->args =
      oci::StringList{"sh", "-c", "stat -c '%n %a' /dev/null /dev/zero /dev/tty"};
  b.write();
  Result r = run_process({"/bin/sh", "-c", "umask 022; exec \"$0\" --root \"$1\" run -b \"$2\" um",
                          runtime_bin(), rt.root(), b.path()});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "/dev/null 666\n/dev/zero 666\n/dev/tty 666\n");
}

// runc runs such a spec in the caller's mount namespace (with chroot instead of pivot_root),
// and lets `exec` into a created container (tools set it up from inside before `start`).
TEST_CASE("as real root: no mount namespace, and exec before start", "[root]") {
  if (!real_root()) return;
  Runtime rt;
  Bundle b;
  drop_namespaces(b, {"user", "mount"});
  b.spec.mounts.reset();
  b.spec.linux->masked_paths.reset();
  b.spec.linux->readonly_paths.reset();
  b.spec.root->readonly = false;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  // Without a /proc of its own: `start` and `exec` reach the init through its start socket,
  // not through /proc (runc needs one for its exec.fifo).
  REQUIRE(rt({"create", "-b", b.path(), "noproc"}).status == 0);
  CHECK(rt({"exec", "noproc", "busybox", "test", "-x", "/bin/box-probe"}).status == 0);
  CHECK(rt({"start", "noproc"}).status == 0);
  CHECK(rt({"delete", "-f", "noproc"}).status == 0);
  CHECK(rt.leftovers().empty());
  // Mounts are made in our mount namespace, as under runc: this one is undone below.
  b.spec.mounts = std::vector<oci::Mount>{oci::make_mount("/proc", "proc", "proc", {})};
  b.write();
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{b.rootfs() + "/proc"};
  REQUIRE(rt({"create", "-b", b.path(), "nomnt"}).status == 0);
  const int pid = init_pid(rt, "nomnt");
  auto link = [](const std::string& path) {
    char buf[64] = {};
    return std::string(buf, std::max<ssize_t>(0, ::readlink(path.c_str(), buf, sizeof buf)));
  };
  CHECK(link("/proc/" + std::to_string(pid) + "/ns/mnt") == link("/proc/self/ns/mnt"));
  // Inside, / is the rootfs, through the chroot: the bundle's path is out of sight.
  CHECK(rt({"exec", "nomnt", "busybox", "test", "-x", "/bin/box-probe"}).status == 0);
  CHECK(rt({"exec", "nomnt", "busybox", "test", "-e", b.rootfs() + "/bin/box-probe"}).status == 1);
  CHECK(rt({"start", "nomnt"}).status == 0);
  CHECK(rt({"state", "nomnt"}).out.find("\"running\"") != std::string::npos);
  rt({"delete", "-f", "nomnt"});
}
