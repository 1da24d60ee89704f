// podman, rootless, drives boxapp-runtime as it drives runc: conmon, console sockets, pid
// files, exec, stop, restart, its own networking, keep-id, pods. Skipped with the reason when
// podman isn't installed (scripts/setup installs it). Everything podman keeps (images,
// containers, its pause process) lives in a directory of the test's own.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "harness.hpp"
#include "util/sys.hpp"

using namespace itest;

namespace {

constexpr const char* kPodman = "/usr/bin/podman";
constexpr const char* kImage = "localhost/boxapp-test:latest";

// A private podman: storage, run root and tmp dir under one temporary directory, the image a
// busybox rootfs (with box-probe) imported from a tarball, no registry.
class Podman {
 public:
  explicit Podman(std::string cgroup_manager = "cgroupfs") : manager_(std::move(cgroup_manager)) {
    if (::geteuid() == 0) {
      // Rootful podman asks for nofile and nproc limits of 1048576, which only a process with
      // CAP_SYS_RESOURCE may set; root in a container (this VM's, say) may lack it, and then
      // no runtime can. Limits below the host's hard ones start anywhere.
      std::ofstream(dir_ / "containers.conf")
          << "[containers]\ndefault_ulimits = [\"nofile=1024:4096\", \"nproc=1024:4096\"]\n";
      env_ = {"/usr/bin/env", "CONTAINERS_CONF=" + dir_ / "containers.conf"};
    }
    Bundle b;
    const std::string tar = dir_ / "image.tar";
    REQUIRE(run_process({"/bin/tar", "-C", b.rootfs(), "-cf", tar, "."}).status == 0);
    Result r = (*this)({"import", tar, kImage});
    INFO(r.err);
    REQUIRE(r.status == 0);
  }
  ~Podman() {
    (*this)({"rm", "-af", "-t", "0"});
    (*this)({"pod", "rm", "-af", "-t", "0"});
    // Rootless podman leaves a pause process holding its user namespace.
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    for (const std::string& f : {dir_ / "tmp/pause.pid",
                                 std::string(xdg ? xdg : "/nonexistent") + "/libpod/tmp/pause.pid"})
      if (auto pid = boxrt::try_read_file(f)) ::kill(std::atoi(pid->c_str()), SIGKILL);
  }
  std::vector<std::string> command(std::vector<std::string> args) const {
    std::vector<std::string> argv = env_;
    for (const std::string& a :
         {std::string(kPodman), std::string("--runtime"), runtime_bin(), std::string("--root"),
          dir_ / "storage", std::string("--runroot"), dir_ / "run", std::string("--tmpdir"),
          dir_ / "tmp", std::string("--storage-driver"), std::string("vfs"),
          std::string("--cgroup-manager"), manager_, std::string("--events-backend"),
          std::string("file")})
      argv.push_back(a);
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  Result operator()(std::vector<std::string> args, int timeout_s = 60) const {
    return run_process(command(std::move(args)), "", timeout_s);
  }

 private:
  testing::TempDir dir_;
  std::string manager_;
  std::vector<std::string> env_;  // before podman's argv
};

bool have_podman() {
  if (::access(kPodman, X_OK) == 0) return true;
  WARN("not checked: podman is not installed (scripts/setup installs it)");
  return false;
}

}  // namespace

TEST_CASE("podman run with our runtime: output, exit codes, a non-root user, keep-id", "[podman]") {
  if (!have_podman()) return;
  Podman podman;
  Result r = podman({"run", "--rm", kImage, "echo", "hi"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "hi\n");
  CHECK(podman({"run", "--rm", kImage, "sh", "-c", "exit 3"}).status == 3);
  // The init waits for `start` as that user.
  r = podman({"run", "--rm", "--user", "1000", kImage, "id", "-u"});
  CHECK(r.out == "1000\n");
  r = podman({"run", "--rm", "--userns", "keep-id", kImage, "id", "-u"});
  CHECK(r.out == std::to_string(own_uid()) + "\n");
}

TEST_CASE("podman run -d, exec, ps, stop, start again, rm", "[podman]") {
  if (!have_podman()) return;
  Podman podman;
  Result r = podman({"run", "-d", "--name", "sleeper", kImage, "sleep", "300"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  r = podman({"exec", "sleeper", "sh", "-c", "echo in-$(hostname)"});
  CHECK(r.status == 0);
  CHECK(contains(r.out, "in-"));
  CHECK(contains(podman({"ps"}).out, "sleeper"));
  CHECK(contains(podman({"top", "sleeper"}).out, "sleep 300"));
  r = podman({"stop", "-t", "1", "sleeper"});
  CHECK(r.status == 0);
  // podman deletes the stopped container in the runtime and creates it anew under its id.
  r = podman({"start", "sleeper"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(contains(podman({"ps"}).out, "sleeper"));
  CHECK(podman({"rm", "-f", "-t", "0", "sleeper"}).status == 0);
  CHECK_FALSE(contains(podman({"ps", "-a"}).out, "sleeper"));
}

TEST_CASE("podman run -it gets a real terminal", "[podman]") {
  if (!have_podman()) return;
  Podman podman;
  std::string line;
  for (const auto& a : podman.command({"run", "-it", "--rm", kImage, "sh", "-c", "tty; echo done"}))
    line += "'" + a + "' ";
  // script(1) gives podman a terminal of its own, as a user's.
  Result r = run_process({"/usr/bin/script", "-qec", line, "/dev/null"}, "", 60);
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(contains(r.out, "/dev/pts/0"));
  CHECK(contains(r.out, "done"));
}

TEST_CASE("podman's own networking and pods work under our runtime", "[podman]") {
  if (!have_podman()) return;
  Podman podman;
  // slirp4netns: the address it gives the container's tap device.
  Result r = podman({"run", "--rm", "--network", "slirp4netns", kImage, "busybox", "ip", "-4",
                     "addr", "show", "tap0"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(contains(r.out, "10.0.2.100"));
  // A pod: two containers in one network namespace, joined by path.
  REQUIRE(podman({"pod", "create", "--name", "pair"}).status == 0);
  REQUIRE(
      podman({"run", "-d", "--pod", "pair", "--name", "first", kImage, "sleep", "300"}).status ==
      0);
  Result first = podman({"exec", "first", "busybox", "readlink", "/proc/self/ns/net"});
  Result second =
      podman({"run", "--rm", "--pod", "pair", kImage, "busybox", "readlink", "/proc/self/ns/net"});
  CHECK(first.status == 0);
  CHECK(second.status == 0);
  CHECK(!first.out.empty());
  CHECK(first.out == second.out);
}

TEST_CASE("podman exec -it, and podman logs", "[podman]") {
  if (!have_podman()) return;
  Podman podman;
  REQUIRE(podman({"run", "-d", "--name", "talker", kImage, "sh", "-c", "echo said-it; sleep 300"})
              .status == 0);
  std::string line;
  for (const auto& a : podman.command({"exec", "-it", "talker", "sh", "-c", "tty; echo in-exec"}))
    line += "'" + a + "' ";
  Result r = run_process({"/usr/bin/script", "-qec", line, "/dev/null"}, "", 60);
  INFO(r.err);
  CHECK(contains(r.out, "/dev/pts/"));
  CHECK(contains(r.out, "in-exec"));
  CHECK(podman({"logs", "talker"}).out == "said-it\n");
}

// The [systemd] run has a user manager (scripts/with-delegated-cgroup --systemd-user).
TEST_CASE("podman --cgroup-manager systemd: the container in a scope of the user's manager",
          "[systemd]") {
  if (!have_podman()) return;
  if (!boxrt::path_exists(std::string(std::getenv("XDG_RUNTIME_DIR")) + "/bus")) {
    WARN("not checked: no user manager's bus in XDG_RUNTIME_DIR");
    return;
  }
  Podman podman("systemd");
  Result r = podman({"run", "--rm", kImage, "cat", "/proc/self/cgroup"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(contains(r.out, ".scope"));
}

TEST_CASE("rootful podman with our runtime: devices a non-root user can write, restart", "[root]") {
  if (!real_root()) return;
  if (!have_podman()) return;
  Podman podman;
  // --network none: rootful podman's bridge needs netavark, which scripts/setup doesn't add
  // (a podman recommends); the runtime's part is the same.
  Result r = podman({"run", "--rm", "--network", "none", "--user", "1000", kImage, "sh", "-c",
                     "echo x >/dev/null && stat -c %a /dev/null"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "666\n");
  REQUIRE(podman({"run", "-d", "--network", "none", "--name", "rooted", kImage, "sleep", "300"})
              .status == 0);
  CHECK(podman({"exec", "rooted", "true"}).status == 0);
  CHECK(podman({"stop", "-t", "1", "rooted"}).status == 0);
  CHECK(podman({"start", "rooted"}).status == 0);
  CHECK(podman({"rm", "-f", "-t", "0", "rooted"}).status == 0);
}
