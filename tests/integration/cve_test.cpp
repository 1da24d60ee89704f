// One regression test per runtime CVE this runtime must not repeat.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <fstream>

#include "harness.hpp"
#include "util/sys.hpp"

using namespace itest;

TEST_CASE("CVE-2024-21626: a cwd naming a leaked descriptor can't reach the host") {
  // No runtime descriptor survives into the container, so /proc/self/fd/N can't name a host
  // directory: each of these either fails or stays inside.
  for (int fd = 3; fd <= 9; ++fd) {
    DYNAMIC_SECTION("cwd /proc/self/fd/" << fd) {
      Runtime rt;
      Bundle b;
      b.spec.process->cwd = "/proc/self/fd/" + std::to_string(fd);
      b.spec.process->args = oci::StringList{"sh", "-c", "ls /proc/self/cwd/.. | head -50"};
      b.write();
      Result r = rt({"run", "-b", b.path(), "cwd"});
      CHECK(r.status == 1);
      CHECK(r.err.find("process.cwd: chdir /proc/self/fd/" + std::to_string(fd)) !=
            std::string::npos);
      CHECK(rt.leftovers().empty());
    }
  }
}

TEST_CASE("CVE-2021-30465: a symlinked mount destination stays inside the rootfs") {
  testing::TempDir outside;  // a host directory the image points at
  ::chmod(outside.path().c_str(), 0777);
  Runtime rt;
  Bundle b;
  ::symlink(outside.path().c_str(), (b.rootfs() + "/evil").c_str());
  oci::Mount m;
  m.destination = "/evil";
  m.type = "tmpfs";
  m.source = "tmpfs";
  b.spec.mounts->push_back(m);
  b.spec.process->args = oci::StringList{"sh", "-c", "echo inside > /evil/marker; sleep 30"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "symlink"}).status == 0);
  const int pid = init_pid(rt, "symlink");
  // The link resolved inside the rootfs: the tmpfs is at rootfs/<outside path>, and the host
  // directory got neither the mount nor the file.
  for (int i = 0; i < 100 && ::access((outside / "marker").c_str(), F_OK) != 0; ++i) {
    const std::string in_box =
        "/proc/" + std::to_string(pid) + "/root" + outside.path() + "/marker";
    if (::access(in_box.c_str(), F_OK) == 0) break;
    ::usleep(20000);
  }
  CHECK(::access((outside / "marker").c_str(), F_OK) != 0);
  std::string mounts = boxrt::read_file("/proc/" + std::to_string(pid) + "/mountinfo");
  CHECK(mounts.find(" " + outside.path() + " ") != std::string::npos);  // inside the box's root
  rt({"delete", "-f", "symlink"});
}

TEST_CASE("CVE-2019-16884 / CVE-2019-19921: nothing but procfs goes over /proc") {
  Runtime rt;
  testing::TempDir fake;
  ::chmod(fake.path().c_str(), 0755);
  struct Case {
    std::string dest, type, source, message;
  };
  const std::vector<Case> cases = {
      {"/proc", "bind", fake.path(), "only a proc file system may be mounted on /proc"},
      {"/proc", "tmpfs", "tmpfs", "only a proc file system may be mounted on /proc"},
      {"/proc/self/attr", "bind", fake.path(),
       "`/proc/self/attr` cannot be mounted over: it is inside /proc"},
      {"/proc/sys", "tmpfs", "tmpfs", "`/proc/sys` cannot be mounted over: it is inside /proc"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.dest << " " << c.type) {
      Bundle b;
      oci::Mount m;
      m.destination = c.dest;
      m.type = c.type;
      m.source = c.source;
      m.options = oci::StringList{"rbind"};
      if (c.type != "bind") m.options.reset();
      b.spec.mounts->push_back(m);
      b.write();
      Result r = rt({"run", "-b", b.path(), "proc"});
      CHECK(r.status == 1);
      CHECK(r.err == "boxapp-runtime: mounts[" + std::to_string(b.spec.mounts->size() - 1) +
                         "]: " + c.message + "\n");
    }
  }
  // The lxcfs-style files stay allowed.
  Bundle ok;
  std::ofstream(fake / "meminfo") << "MemTotal: 1 kB\n";
  oci::Mount m;
  m.destination = "/proc/meminfo";
  m.type = "bind";
  m.source = fake / "meminfo";
  m.options = oci::StringList{"bind", "ro"};
  ok.spec.mounts->push_back(m);
  ok.spec.process->args = oci::StringList{"cat", "/proc/meminfo"};
  ok.write();
  Result r = rt({"run", "-b", ok.path(), "meminfo"});
  CHECK(r.status == 0);
  CHECK(r.out == "MemTotal: 1 kB\n");
}

TEST_CASE("CVE-2016-9962 / CVE-2019-5736: the init is closed to everyone until it execs") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  // Created, not started: the init is still the runtime's copy, waiting on its start socket, and
  // /proc/PID/exe is the runtime's binary. Not even its own user may look inside.
  REQUIRE(rt({"create", "-b", b.path(), "early"}).status == 0);
  const std::string proc = "/proc/" + std::to_string(init_pid(rt, "early"));
  CHECK(::open((proc + "/environ").c_str(), O_RDONLY | O_CLOEXEC) == -1);
  CHECK(errno == EACCES);
  char link[256];
  CHECK(::readlink((proc + "/exe").c_str(), link, sizeof link) == -1);
  CHECK(::open((proc + "/exe").c_str(), O_PATH | O_CLOEXEC) == -1);
  // exec joins it all the same (runc allows exec before start): the init hands its
  // namespaces over its start socket. What runs there can't open the init's files either.
  Result in =
      rt({"exec", "early", "sh", "-c",
          "echo in; readlink /proc/1/exe || echo no exe; cat /proc/1/environ || echo no env"});
  CHECK(in.status == 0);
  CHECK(in.out == "in\nno exe\nno env\n");
  CHECK(json::parse(rt({"ps", "-f", "json", "early"}).out).size() == 1);
  // Once started, the container's own process is an ordinary, inspectable one.
  REQUIRE(rt({"start", "early"}).status == 0);
  Result after = rt({"exec", "early", "sh", "-c", "readlink /proc/1/exe"});
  CHECK(after.out == "/bin/busybox\n");
  rt({"delete", "-f", "early"});
}

TEST_CASE("masking refuses a /dev/null that is not the null device") {
  Runtime rt;
  Bundle b;
  // No /dev tmpfs: the image's own /dev is used, and the image puts a plain file there.
  std::erase_if(*b.spec.mounts,
                [](const oci::Mount& m) { return m.destination.rfind("/dev", 0) == 0; });
  b.spec.linux->masked_paths = oci::StringList{"/proc/kcore"};
  b.spec.root->readonly = false;
  b.write();
  // The runtime binds the host's null device there itself, so a planted file is replaced:
  // the container still masks with the real one.
  std::ofstream(b.rootfs() + "/dev/null") << "not a device\n";
  b.spec.process->args = oci::StringList{"sh", "-c", "test -c /dev/null && echo null-is-a-device"};
  b.write();
  Result r = rt({"run", "-b", b.path(), "devnull"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "null-is-a-device\n");
}
