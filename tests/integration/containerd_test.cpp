// containerd (its runc v2 shim, driven with ctr) runs boxapp-runtime as its runc: a private
// containerd with its own root, state and socket, a busybox OCI image the test builds, as
// root. Skipped with the reason when containerd isn't installed (scripts/setup installs it).
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "harness.hpp"
#include "util/sys.hpp"

using namespace itest;

namespace {

// An OCI image layout with one layer (the harness's busybox rootfs), as a tar ctr imports.
const char* kMakeImage = R"sh(set -e
cd "$1"; rootfs=$2
mkdir -p image/blobs/sha256
tar -C "$rootfs" -cf layer.tar .
blob() { d=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" image/blobs/sha256/$d; echo $d; }
layer=$(blob layer.tar)
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$layer" >config.json
config=$(blob config.json)
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%d}]}' \
  "$config" "$(stat -c %s config.json)" "$layer" "$(stat -c %s layer.tar)" >manifest.json
manifest=$(blob manifest.json)
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' \
  "$manifest" "$(stat -c %s manifest.json)" >image/index.json
echo '{"imageLayoutVersion":"1.0.0"}' >image/oci-layout
tar -C image -cf image.tar .
)sh";

class Containerd {
 public:
  Containerd() {
    std::ofstream(dir_ / "config.toml")
        << "version = 2\nroot = \"" << dir_ / "root"
        << "\"\nstate = \"" << dir_ / "state"
        << "\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\n  address = \""
        << socket() << "\"\n";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setsid();
      exec_argv({"/usr/bin/containerd", "--config", dir_ / "config.toml", "--log-level", "error"});
    }
    // A cold first start on a fresh machine (a Go binary of tens of MB read from disk, its
    // database made) took over 5 s in CI: wait as long as it lives, up to a minute, and never
    // leave it running when it doesn't come up (the throw skips the destructor).
    bool exited = false;
    for (int i = 0; i < 2400 && !boxrt::path_exists(socket()); ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        exited = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    if (!boxrt::path_exists(socket()) && !exited) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    INFO("containerd " << (exited ? "exited" : "did not make its socket within 60 s"));
    REQUIRE(boxrt::path_exists(socket()));
  }
  ~Containerd() {
    (*this)({"task", "kill", "-s", "SIGKILL", "sleeper"});
    (*this)({"task", "rm", "-f", "sleeper"});
    (*this)({"container", "rm", "sleeper"});
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  std::string socket() const { return dir_ / "containerd.sock"; }
  std::string dir() const { return dir_.path(); }
  Result operator()(std::vector<std::string> args) const {
    std::vector<std::string> argv = {"/usr/bin/ctr", "-a", socket()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, "", 60);
  }

 private:
  testing::TempDir dir_;
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("containerd's runc shim runs, execs, pauses, kills and deletes with our runtime",
          "[root]") {
  if (::geteuid() != 0 || ::access("/usr/bin/containerd", X_OK) != 0 ||
      ::access("/usr/bin/ctr", X_OK) != 0) {
    WARN("not checked: needs real root and containerd (scripts/setup installs it)");
    return;
  }
  Containerd ctd;
  Bundle b;
  REQUIRE(run_process({"/bin/sh", "-c", kMakeImage, "sh", ctd.dir(), b.rootfs()}).status == 0);
  Result r = ctd({"images", "import", "--base-name", "localhost/box", ctd.dir() + "/image.tar"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  // The shim passes --root ROOT/NAMESPACE: the runtime makes the whole path.
  const std::string root = ctd.dir() + "/runc";
  const std::vector<std::string> runtime = {"--runc-binary", runtime_bin(), "--runc-root", root};
  auto with_runtime = [&](std::vector<std::string> args, std::vector<std::string> tail) {
    args.insert(args.end(), runtime.begin(), runtime.end());
    args.insert(args.end(), tail.begin(), tail.end());
    return args;
  };
  // Under containerd's umask 022 the default nodes are still 0666.
  r = ctd(with_runtime({"run", "--rm"}, {"localhost/box:latest", "once", "sh", "-c",
                                         "stat -c %a /dev/null /dev/zero; echo hi"}));
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "666\n666\nhi\n");

  r = ctd(with_runtime({"run", "-d"}, {"localhost/box:latest", "sleeper", "sleep", "300"}));
  REQUIRE(r.status == 0);
  r = ctd({"task", "exec", "--exec-id", "e1", "sleeper", "echo", "execd"});
  CHECK(r.out == "execd\n");
  CHECK(ctd({"task", "pause", "sleeper"}).status == 0);
  CHECK(contains(ctd({"task", "ls"}).out, "PAUSED"));
  CHECK(ctd({"task", "resume", "sleeper"}).status == 0);
  CHECK(contains(ctd({"task", "ls"}).out, "RUNNING"));
  CHECK(ctd({"task", "kill", "-s", "SIGKILL", "sleeper"}).status == 0);
  for (int i = 0; i < 100 && !contains(ctd({"task", "ls"}).out, "STOPPED"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(ctd({"task", "rm", "sleeper"}).status == 0);
  CHECK(ctd({"container", "rm", "sleeper"}).status == 0);
  CHECK(boxrt::path_exists(root + "/default"));
  CHECK_FALSE(boxrt::path_exists(root + "/default/sleeper"));
}
