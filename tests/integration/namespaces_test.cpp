// Namespaces given by path or made with offsets, a runtime already root in a user namespace,
// recycled pids, keyrings, and the session process's life: what a container is made in.
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
#include "util/sys.hpp"

using namespace itest;

TEST_CASE("a namespace given by path is joined") {
  Runtime rt;
  Bundle owner;
  owner.spec.linux->namespaces->push_back({"network", {}, {}});
  owner.spec.hostname = "owner";
  owner.spec.process->args = oci::StringList{"sleep", "30"};
  owner.write();
  REQUIRE(rt({"run", "-d", "-b", owner.path(), "netowner"}).status == 0);
  int pid = init_pid(rt, "netowner");
  std::string netns = "/proc/" + std::to_string(pid) + "/ns/net";

  Bundle joiner;
  joiner.spec.linux->namespaces->push_back({"network", netns, {}});
  joiner.spec.process->args = oci::StringList{"sh", "-c", "readlink /proc/self/ns/net"};
  joiner.write();
  Result r = rt({"run", "-b", joiner.path(), "netjoiner"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  char link[64] = {};
  REQUIRE(::readlink(netns.c_str(), link, sizeof link - 1) > 0);
  CHECK(r.out == std::string(link) + "\n");
  rt({"delete", "-f", "netowner"});
}

TEST_CASE("a new time namespace with the spec's clock offsets") {
  Bundle b;
  b.spec.linux->namespaces->push_back({"time", {}, {}});
  oci::TimeOffsets off;
  off.monotonic = oci::TimeOffset{86400 * 1000, 0, {}};
  off.boottime = oci::TimeOffset{-1, 0, {}};
  b.spec.linux->time_offsets = off;
  b.spec.process->args = oci::StringList{"cat", "/proc/self/timens_offsets", "/proc/uptime"};
  Runtime rt;
  b.write();
  Result r = rt({"run", "-b", b.path(), "timens"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::string words;  // the kernel pads the columns; compare the words
  for (size_t i = 0; i < r.out.size(); ++i)
    if (r.out[i] != ' ' || (!words.empty() && words.back() != ' ')) words += r.out[i];
  CHECK(words.find("monotonic 86400000 0") != std::string::npos);
  CHECK(words.find("boottime -1 0") != std::string::npos);
}

TEST_CASE("a user namespace given by path is joined, with the other namespaces made in it") {
  Runtime rt;
  Bundle owner;
  owner.spec.process->args = oci::StringList{"sleep", "30"};
  owner.write();
  REQUIRE(rt({"run", "-d", "-b", owner.path(), "userowner"}).status == 0);
  const std::string proc = "/proc/" + std::to_string(init_pid(rt, "userowner"));

  Bundle joiner;
  auto& nss = *joiner.spec.linux->namespaces;
  std::erase_if(nss, [](const oci::Namespace& ns) { return ns.type == "user"; });
  nss.push_back({"user", proc + "/ns/user", {}});
  joiner.spec.linux->uid_mappings.reset();  // the joined namespace has its maps
  joiner.spec.linux->gid_mappings.reset();
  joiner.spec.process->args = oci::StringList{"sleep", "30"};
  joiner.write();
  REQUIRE(rt({"run", "-d", "-b", joiner.path(), "userjoiner"}).status == 0);
  const std::string jproc = "/proc/" + std::to_string(init_pid(rt, "userjoiner"));
  auto ns = [](const std::string& p, const char* name) {
    char link[64] = {};
    return ::readlink((p + "/ns/" + name).c_str(), link, sizeof link - 1) > 0 ? std::string(link)
                                                                              : std::string();
  };
  CHECK(ns(jproc, "user") == ns(proc, "user"));
  CHECK(ns(jproc, "mnt") != ns(proc, "mnt"));
  CHECK(ns(jproc, "pid") != ns(proc, "pid"));
  rt({"delete", "-f", "userjoiner"});
  rt({"delete", "-f", "userowner"});
}

TEST_CASE("already root in a user namespace (as under podman), it runs as a rootful runtime") {
  Runtime rt;
  Bundle b;
  // Ids as that namespace sees them: unshare -r maps its root to us.
  b.spec.linux->uid_mappings = std::vector<oci::IdMapping>{{0, 0, 1, {}}};
  b.spec.linux->gid_mappings = std::vector<oci::IdMapping>{{0, 0, 1, {}}};
  b.write();
  Result r = run_process({"/usr/bin/unshare", "-Ur", runtime_bin(), "--root", rt.root(), "run",
                          "-b", b.path(), "nested"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  json report = probe_report(r);
  CHECK(report["uid"] == 0);
  CHECK_FALSE(find_mount(report, "/dev/null").is_null());  // bound: mknod is not allowed there
  CHECK(rt.leftovers().empty());
}

TEST_CASE("a recycled pid is not taken for the container's init") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "recycled"}).status == 0);
  // Point the saved state at another live process of ours, as if the pid had been reused.
  const std::string path = rt.root() + "/recycled/state.json";
  json state = json::parse(boxrt::read_file(path));
  const int real_pid = state["pid"];
  state["pid"] = ::getpid();
  std::ofstream(path) << state.dump();
  CHECK(json::parse(rt({"state", "recycled"}).out)["status"] == "stopped");
  CHECK(rt({"kill", "recycled", "KILL"}).status == 1);  // and it must not kill us
  state["pid"] = real_pid;
  std::ofstream(path) << state.dump();
  CHECK(json::parse(rt({"state", "recycled"}).out)["status"] == "running");
  rt({"delete", "-f", "recycled"});
}

TEST_CASE("the container gets a session keyring of its own unless --no-new-keyring") {
  // A session keyring of our own, which the runtime and the container inherit unless told
  // otherwise (without one, each user namespace falls back to a per-user keyring).
  REQUIRE(::syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, "boxapp-test") > 0);
  Result host = run_process({probe_bin()});
  REQUIRE(host.status == 0);
  const long ours = probe_report(host)["session_keyring"];
  Bundle b;
  json fresh = probe(b);
  CHECK(fresh["session_keyring"] > 0);
  CHECK(fresh["session_keyring"] != ours);
  Bundle b2;
  json kept = probe(b2, {"--no-new-keyring"});
  CHECK(kept["session_keyring"] == ours);
}

namespace {

// Starts a session under a private XDG_RUNTIME_DIR (by running a container there) and
// returns the session process's pid.
int start_private_session(const Runtime& rt, const std::string& xdg) {
  Bundle b;
  b.spec.process->args = oci::StringList{"true"};
  b.write();
  Result r = run_process({"/usr/bin/env", "XDG_RUNTIME_DIR=" + xdg, runtime_bin(), "--root",
                          rt.root(), "run", "-b", b.path(), "s"});
  REQUIRE(r.status == 0);
  int pid = 0;
  REQUIRE(std::sscanf(boxrt::read_file(xdg + "/boxapp/session").c_str(), "%d", &pid) == 1);
  REQUIRE(is_alive(pid));
  return pid;
}

bool gone_within(int pid, int ms) {
  for (int waited = 0; waited < ms && is_alive(pid); waited += 10)
    ::usleep(10 * 1000);
  return !is_alive(pid);
}

}  // namespace

TEST_CASE("the session process goes when its runtime directory does, and on SIGTERM") {
  Runtime rt;
  SECTION("logout removes XDG_RUNTIME_DIR") {
    testing::TempDir xdg;
    int pid = start_private_session(rt, xdg.path());
    std::filesystem::remove_all(xdg.path() + "/boxapp");
    CHECK(gone_within(pid, 3000));
  }
  SECTION("SIGTERM, though the runtime blocked it while forwarding signals") {
    testing::TempDir xdg;
    int pid = start_private_session(rt, xdg.path());
    ::kill(pid, SIGTERM);
    CHECK(gone_within(pid, 3000));
  }
}

TEST_CASE("without XDG_RUNTIME_DIR the session lives in the /tmp fallback, and stays") {
  // Inside its namespace the session is uid 0: it must still find the user's directory (it
  // used to look for /tmp/boxapp-0, fail, and die right after the first start).
  const std::string dir = "/tmp/boxapp-" + std::to_string(own_uid());
  if (::getenv("XDG_RUNTIME_DIR") == nullptr || boxrt::path_exists(dir)) {
    WARN("not checked: " + dir + " exists already (or we have no XDG_RUNTIME_DIR to leave out)");
    return;
  }
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"true"};
  b.write();
  auto run = [&](const std::string& id) {
    return run_process({"/usr/bin/env", "-u", "XDG_RUNTIME_DIR", runtime_bin(), "--root", rt.root(),
                        "run", "-b", b.path(), id});
  };
  Result first = run("fallback1");
  INFO(first.err);
  CHECK(first.status == 0);
  int pid = 0;
  REQUIRE(std::sscanf(boxrt::read_file(dir + "/boxapp/session").c_str(), "%d", &pid) == 1);
  ::usleep(200 * 1000);
  CHECK(is_alive(pid));
  CHECK(run("fallback2").status == 0);
  CHECK(boxrt::read_file(dir + "/boxapp/session").rfind(std::to_string(pid) + " ", 0) == 0);
  std::filesystem::remove_all(dir);  // and the session goes with it
  CHECK(gone_within(pid, 3000));
}
