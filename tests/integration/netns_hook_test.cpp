// `boxapp-netns hook attach|detach` as the OCI hooks of bundles run by runc and crun: as
// root (the 2016 setup's `sudo runc`), and rootless under `boxapp-netns exec`; a rootless
// runtime outside the session gets the hook's refusal. Traffic only on the test's bridge.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "harness.hpp"
#include "launcher_harness.hpp"
#include "util/sys.hpp"
#include "util/unique_fd.hpp"

using namespace itest;

namespace {

// The hooks: an OCI hook's environment is only what config.json gives it.
void add_hooks(Bundle& b) {
  b.spec.oci_version = "1.0.2";  // crun 1.8 refuses 1.2.0
  if (std::none_of(b.spec.linux->namespaces->begin(), b.spec.linux->namespaces->end(),
                   [](const oci::Namespace& n) { return n.type == "network"; }))
    b.spec.linux->namespaces->push_back({"network", std::nullopt, {}});
  const oci::StringList env = {"XDG_RUNTIME_DIR=" + std::string(std::getenv("XDG_RUNTIME_DIR")),
                               "HOME=" + std::string(std::getenv("HOME"))};
  b.spec.hooks = oci::Hooks{};
  b.spec.hooks->create_runtime = std::vector<oci::Hook>{
      {netns_bin(), oci::StringList{"boxapp-netns", "hook", "attach"}, env, {}, {}}};
  b.spec.hooks->poststop = std::vector<oci::Hook>{
      {netns_bin(), oci::StringList{"boxapp-netns", "hook", "detach"}, env, {}, {}}};
}

bool listed(const std::string& name) {
  for (const auto& b : json::parse(run_process({netns_bin(), "ls", "--json"}).out))
    if (b["name"] == name) return true;
  return false;
}

const char* kListener =
    "[app]\ncommand = \"sh\"\nargs = [\"-c\", \"busybox nc -l -p 9002 > /tmp/got; sleep "
    "60\"]\n[network]\nmode = \"bridge\"\n";

}  // namespace

TEST_CASE("hook: runc as root puts its container on the bridge, and takes it off", "[root]") {
  if (!real_root()) return;
  const std::string runc = boxrt::find_on_path("runc");
  if (runc.empty()) {
    WARN("runc is not installed (scripts/setup installs it)");
    return;
  }
  Bundle b;
  b.spec.linux->namespaces->erase(
      std::remove_if(b.spec.linux->namespaces->begin(), b.spec.linux->namespaces->end(),
                     [](const oci::Namespace& n) { return n.type == "user"; }),
      b.spec.linux->namespaces->end());
  b.spec.linux->uid_mappings.reset();
  b.spec.linux->gid_mappings.reset();
  add_hooks(b);
  // The bridge's DNS answers it.
  b.spec.process->args = oci::StringList{
      "sh", "-c", "busybox ip -4 addr show eth0; busybox nslookup host.box 10.89.0.1"};
  b.write();
  testing::TempDir state;
  Result r = run_process({runc, "--root", state.path(), "run", "-b", b.path(), "hooked-runc"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(contains(r.out, "inet 10.89.0."));
  CHECK(contains(r.out, "Address: 10.89.0.254"));
  // poststop took it off: no lease held, no .ip left.
  CHECK(!listed("hooked-runc"));
  CHECK(!boxrt::path_exists(b.path() + "/.ip"));
}

TEST_CASE("hook: rootless crun under boxapp-netns exec reaches a boxapp box; outside, a refusal") {
  const std::string crun = boxrt::find_on_path("crun");
  if (crun.empty()) {
    WARN("crun is not installed (scripts/setup installs it)");
    return;
  }
  Launcher boxapp;
  boxapp.profile("listener", kListener);
  REQUIRE(boxapp({"run", "-d", "--name", "hook-peer", "listener"}).status == 0);
  std::string peer = boxrt::read_file(Launcher::bundle_dir("hook-peer") + "/.ip");
  peer = peer.substr(0, peer.find('\n'));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  testing::TempDir state;
  {
    // Under exec, config.json's ids are the session's: the user is 0 there.
    Bundle b;
    b.spec.linux->uid_mappings = std::vector<oci::IdMapping>{{0, 0, 1, {}}};
    b.spec.linux->gid_mappings = std::vector<oci::IdMapping>{{0, 0, 1, {}}};
    add_hooks(b);
    b.spec.process->args = oci::StringList{
        "sh", "-c",
        "busybox ip -4 addr show eth0; echo from-crun | busybox nc -w 2 " + peer + " 9002"};
    b.write();
    Result r = run_process({netns_bin(), "exec", "--", crun, "--root", state / "in", "run", "-b",
                            b.path(), "hooked-crun"});
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(contains(r.out, "inet 10.89.0."));
    CHECK(contains(r.err, "boxapp-netns: in the session's user namespace: uid map 0 " +
                              std::to_string(own_uid()) + " 1"));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(boxapp({"exec", "hook-peer", "cat", "/tmp/got"}).out == "from-crun\n");
    CHECK(!listed("hooked-crun"));
  }
  {
    Bundle b;
    add_hooks(b);
    b.spec.process->args = oci::StringList{"true"};
    b.write();
    Result r = run_process({crun, "--root", state / "out", "run", "-b", b.path(), "outside"});
    CHECK(r.status != 0);
    // crun says only that the hook failed; the hook's own word is on its stderr, which
    // crun passes on.
    CHECK(!listed("outside"));
  }
  CHECK(boxapp({"rm", "-f", "hook-peer"}).status == 0);
}

namespace {

// What 127.0.0.1:port says to a connection, or "" when none is made.
std::string read_port(int port) {
  boxrt::unique_fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a = loopback_address(port);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return "";
  struct timeval tv = {2, 0};
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[128];
  const ssize_t n = ::recv(s.get(), buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

}  // namespace

TEST_CASE("hook: the annotation org.boxapp.netns.ports publishes a crun container's port") {
  const std::string crun = boxrt::find_on_path("crun");
  if (crun.empty()) {
    WARN("crun is not installed (scripts/setup installs it)");
    return;
  }
  const int port = free_loopback_port(SOCK_STREAM);
  Bundle b;
  b.spec.linux->uid_mappings = std::vector<oci::IdMapping>{{0, 0, 1, {}}};
  b.spec.linux->gid_mappings = std::vector<oci::IdMapping>{{0, 0, 1, {}}};
  add_hooks(b);
  b.spec.annotations =
      oci::StringMap{{"org.boxapp.netns.ports", "127.0.0.1:" + std::to_string(port) + ":8080"}};
  b.spec.process->args =
      oci::StringList{"busybox", "nc", "-l", "-p", "8080", "-e", "echo", "via-the-hook"};
  b.write();
  testing::TempDir state;
  Result r;
  std::thread crun_run([&] {
    r = run_process({netns_bin(), "exec", "--", crun, "--root", state.path(), "run", "-b", b.path(),
                     "hooked-ports"});
  });
  std::string got;
  for (int i = 0; i < 100 && got.empty(); ++i) {
    got = read_port(port);
    if (got.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  crun_run.join();
  INFO(r.err);
  CHECK(got == "via-the-hook\n");
  CHECK(r.status == 0);
  // The container's end ended its port.
  for (int i = 0; i < 50 && !read_port(port).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  boxrt::unique_fd again(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a = loopback_address(port);
  // SO_REUSEADDR: the test's own connections may leave TIME_WAIT behind; only a listener
  // still there refuses the bind.
  const int yes = 1;
  ::setsockopt(again.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  CHECK(::bind(again.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  // A malformed annotation is the hook's error, and crun's failure. crun drops a hook's
  // stderr unless run.oci.hooks.stderr names a file for it.
  const std::string hook_err = state / "hook.err";
  b.spec.annotations =
      oci::StringMap{{"org.boxapp.netns.ports", "8080:web"}, {"run.oci.hooks.stderr", hook_err}};
  b.spec.process->args = oci::StringList{"true"};
  b.write();
  Result bad = run_process({netns_bin(), "exec", "--", crun, "--root", state.path(), "run", "-b",
                            b.path(), "hooked-bad"});
  CHECK(bad.status != 0);
  CHECK(contains(bad.err, "error executing hook"));
  CHECK(boxrt::try_read_file(hook_err).value_or("") ==
        "boxapp-netns: hook: the annotation org.boxapp.netns.ports: port `8080:web`: `web` is not "
        "a port (1-65535) (expected [IP:]HOST_PORT:BOX_PORT[/tcp|/udp], or BOX_PORT alone for "
        "any free host port)\n");
  CHECK(!listed("hooked-bad"));
}

TEST_CASE("hook: the refusal, word for word, for a container outside the session") {
  // What crun's hook sees for a rootless container it started: a process in a user
  // namespace beside the session's. unshare(1) makes one.
  Result r = run_process({"/bin/sh", "-c",
                          "unshare -Urn sleep 5 & sleep 0.3; echo \"{\\\"id\\\": \\\"sib\\\", "
                          "\\\"pid\\\": $!}\" | " +
                              netns_bin() + " hook attach; s=$?; kill $!; exit $s"});
  CHECK(r.status == 1);
  CHECK(r.err ==
        "boxapp-netns: network: `sib`'s network namespace belongs to a user namespace outside "
        "boxapp's session, which can't reach it (a rootless runtime started outside it): run "
        "the runtime as `boxapp-netns exec -- crun ...`\n");
  CHECK(!listed("sib"));
  // A container that shares the caller's network namespace is refused, not plumbed.
  Result shared = run_process({netns_bin(), "hook", "attach"},
                              "{\"id\": \"shared\", \"pid\": " + std::to_string(::getpid()) + "}");
  CHECK(shared.status == 1);
  CHECK(contains(shared.err, "container `shared` has no network namespace of its own"));
  Result junk = run_process({netns_bin(), "hook", "attach"}, "not json");
  CHECK(junk.status == 1);
  CHECK(contains(junk.err, "boxapp-netns: hook: the container's state on stdin is not JSON"));
}
