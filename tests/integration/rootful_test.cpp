// As real root the runtime is rootful: no session, device nodes made with mknod. scripts/test
// runs these ("[root]") as root; for anyone else they are skipped with a warning.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace itest;

TEST_CASE("as real root without a user namespace, devices are made with mknod", "[root]") {
  if (::geteuid() != 0) {
    WARN("not checked: needs real root (scripts/test runs it as root)");
    return;
  }
  Runtime rt;
  Bundle b;
  auto& nss = *b.spec.linux->namespaces;
  std::erase_if(nss, [](const oci::Namespace& ns) { return ns.type == "user"; });
  b.spec.linux->uid_mappings.reset();
  b.spec.linux->gid_mappings.reset();
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
  if (::geteuid() != 0) {
    WARN("not checked: needs real root (scripts/test runs it as root)");
    return;
  }
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
