// cgroups: the container's own cgroup, limits that bite, pause/resume, update, stats and
// events — and the same commands on a host that gives the container no cgroup.
//
// The [cgroup] tests need a cgroup v2 subtree delegated to the test user; scripts/test sets
// one up (as root: a private mount namespace with cgroup2 on /sys/fs/cgroup). Without one
// they say so and pass. A limit whose controller the host keeps on cgroup v1 (this kind of
// hybrid machine has only hugetlb on v2) is likewise reported, not failed.
#include "cgroup/cgroup.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "harness.hpp"
#include "util/sys.hpp"

using namespace itest;

namespace {

// The directory of the subtree delegated to us, or empty.
std::string delegated_root() {
  auto host = boxrt::find_cgroup_host();
  if (!host || host->delegated.empty()) return "";
  return host->mount + (host->delegated == "/" ? "" : host->delegated);
}

bool has_controller(const std::string& root, const std::string& name) {
  std::string text = boxrt::read_file(root + "/cgroup.controllers");
  return (" " + text + " ").find(" " + name + " ") != std::string::npos ||
         (" " + text).find(" " + name + "\n") != std::string::npos;
}

// Gives the reason and returns false when the test can't run here.
bool need_delegation(std::string& root) {
  root = delegated_root();
  if (root.empty())
    WARN("no cgroup v2 subtree is delegated to this user: run through scripts/test as root");
  return !root.empty();
}

bool need_controller(const std::string& root, const std::string& name) {
  if (has_controller(root, name)) return true;
  WARN("the " << name << " controller is not in " << root
              << "/cgroup.controllers (this host keeps it on cgroup v1): not testable here");
  return false;
}

std::string file(const std::string& path) {
  std::string s = boxrt::read_file(path);
  while (!s.empty() && s.back() == '\n')
    s.pop_back();
  return s;
}

std::string status_of(const Runtime& rt, const std::string& id) {
  return json::parse(rt({"state", id}).out)["status"].get<std::string>();
}

// A command whose stdout we read line by line while it runs (`events`).
class Streaming {
 public:
  explicit Streaming(std::vector<std::string> argv) {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(p[1], 1);
      exec_argv(argv);
    }
    ::close(p[1]);
    out_.reset(p[0]);
  }
  ~Streaming() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  // The next line, or empty after timeout_ms or at EOF.
  std::string line(int timeout_ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (buf_.find('\n') == std::string::npos) {
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      deadline - std::chrono::steady_clock::now())
                                      .count());
      struct pollfd p = {out_.get(), POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, left) != 1) return "";
      char b[4096];
      ssize_t n = ::read(out_.get(), b, sizeof b);
      if (n <= 0) return "";
      buf_.append(b, static_cast<size_t>(n));
    }
    size_t nl = buf_.find('\n');
    std::string l = buf_.substr(0, nl);
    buf_.erase(0, nl + 1);
    return l;
  }
  // Exit status once it ends by itself (-1 if it doesn't within timeout_ms).
  int wait(int timeout_ms) {
    for (int i = 0; i < timeout_ms / 20; ++i) {
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  boxrt::unique_fd out_;
  std::string buf_;
};

}  // namespace

TEST_CASE("a container gets its own cgroup in the delegated tree, gone with it", "[cgroup]") {
  std::string root;
  if (!need_delegation(root)) return;
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sh", "-c", "sleep 30 & sleep 30 & wait"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "own-cg"}).status == 0);
  const int pid = init_pid(rt, "own-cg");
  const std::string dir = root + "/boxapp/own-cg";
  auto host = boxrt::find_cgroup_host();
  CHECK(host->mount + cgroup_of(pid) == dir);
  // Every process is in it, and ps lists them from there.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto procs = boxrt::cgroup_pids(dir);
  CHECK(procs.size() == 3);
  Result ps = rt({"ps", "-f", "json", "own-cg"});
  CHECK(json::parse(ps.out).size() == 3);
  REQUIRE(rt({"delete", "-f", "own-cg"}).status == 0);
  CHECK(::access(dir.c_str(), F_OK) != 0);
  for (int p : procs)
    CHECK_FALSE(is_alive(p));
}

TEST_CASE("cgroupsPath places the cgroup: relative under our subtree, absolute from the root",
          "[cgroup]") {
  std::string root;
  if (!need_delegation(root)) return;
  auto host = boxrt::find_cgroup_host();
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  SECTION("relative") {
    b.spec.linux->cgroups_path = "tests/nested/rel";
    b.write();
    REQUIRE(rt({"run", "-d", "-b", b.path(), "rel"}).status == 0);
    CHECK(host->mount + cgroup_of(init_pid(rt, "rel")) == root + "/tests/nested/rel");
    rt({"delete", "-f", "rel"});
    CHECK(::access((root + "/tests/nested/rel").c_str(), F_OK) != 0);
    ::rmdir((root + "/tests/nested").c_str());
    ::rmdir((root + "/tests").c_str());
  }
  SECTION("absolute") {
    const std::string abs = host->delegated + "/abs-cg";
    b.spec.linux->cgroups_path = abs;
    b.write();
    REQUIRE(rt({"run", "-d", "-b", b.path(), "abs"}).status == 0);
    CHECK(cgroup_of(init_pid(rt, "abs")) == abs);
    rt({"delete", "-f", "abs"});
  }
  SECTION("outside what is delegated, the spec saying so: a warning, and no cgroup") {
    b.spec.annotations = std::map<std::string, std::string>{{"boxapp.resources.required", "false"}};
    b.spec.linux->cgroups_path = "/boxapp-not-delegated/x";
    oci::Resources res;
    res.pids = oci::PidsResources{};
    res.pids->limit = 10;
    b.spec.linux->resources = res;
    b.write();
    Result r = rt({"run", "-d", "-b", b.path(), "outside"});
    REQUIRE(r.status == 0);
    CHECK(contains(r.err,
                   "linux.resources: not applied, the container runs without limits: "
                   "create cgroup `" +
                       host->mount + "/boxapp-not-delegated`: Permission denied"));
    CHECK(cgroup_of(init_pid(rt, "outside")) == host->own);
    CHECK(contains(rt({"pause", "outside"}).err, "has no cgroup, which pause needs"));
    rt({"delete", "-f", "outside"});
  }
}

TEST_CASE("limits are written where the host has the controller, named where it has not",
          "[cgroup]") {
  std::string root;
  if (!need_delegation(root)) return;
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  oci::Resources res;
  res.pids = oci::PidsResources{};
  res.pids->limit = 42;
  res.memory = oci::MemoryResources{};
  res.memory->limit = 64 << 20;
  res.memory->swap = 96 << 20;
  res.cpu = oci::CpuResources{};
  res.cpu->shares = 1024;
  res.cpu->quota = 50000;
  res.cpu->period = 100000;
  res.hugepage_limits = std::vector<oci::HugepageLimit>{{"2MB", 4 << 20, {}}};
  b.spec.linux->resources = res;
  b.spec.annotations = std::map<std::string, std::string>{{"boxapp.resources.required", "false"}};
  b.write();
  Result r = rt({"run", "-d", "-b", b.path(), "limits"});
  REQUIRE(r.status == 0);
  const std::string dir = root + "/boxapp/limits";
  struct Expect {
    const char* controller;
    const char* file;
    const char* value;
    const char* field;
  };
  for (const Expect& e :
       {Expect{"pids", "pids.max", "42", "linux.resources.pids.limit"},
        Expect{"memory", "memory.max", "67108864", "linux.resources.memory.limit"},
        Expect{"memory", "memory.swap.max", "33554432", "linux.resources.memory.swap"},
        Expect{"cpu", "cpu.weight", "39", "linux.resources.cpu.shares"},
        Expect{"cpu", "cpu.max", "50000 100000", "linux.resources.cpu.quota"},
        Expect{"hugetlb", "hugetlb.2MB.max", "4194304",
               "linux.resources.hugepageLimits[0].limit"}}) {
    INFO(e.file);
    if (has_controller(root, e.controller)) {
      CHECK(file(dir + "/" + e.file) == e.value);
    } else {
      CHECK(contains(r.err, std::string(e.field) + ": the " + e.controller +
                                " controller is not available in `" + dir + "`"));
    }
  }
  rt({"delete", "-f", "limits"});
}

TEST_CASE("a hugetlb limit bites", "[cgroup]") {
  std::string root;
  if (!need_delegation(root) || !need_controller(root, "hugetlb")) return;
  if (std::stoi(file("/proc/sys/vm/nr_hugepages")) < 3) {
    WARN("fewer than 3 huge pages are reserved (vm.nr_hugepages): scripts/test reserves them");
    return;
  }
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"/bin/box-probe", "hugepages", "2"};
  b.write();
  Result free_run = rt({"run", "-b", b.path(), "huge-free"});
  CHECK(free_run.status == 0);
  CHECK(contains(free_run.out, "touched 2"));

  oci::Resources res;
  res.hugepage_limits = std::vector<oci::HugepageLimit>{{"2MB", 2 << 20, {}}};
  b.spec.linux->resources = res;
  b.write();
  Result limited = rt({"run", "-b", b.path(), "huge-limited"});
  CHECK(limited.status == 128 + SIGBUS);  // the second page is over the limit
  CHECK(contains(limited.out, "touched 1"));
  CHECK_FALSE(contains(limited.out, "touched 2"));
}

TEST_CASE("a pids limit bites", "[cgroup]") {
  std::string root;
  if (!need_delegation(root) || !need_controller(root, "pids")) return;
  Runtime rt;
  Bundle b;
  b.spec.process->args =
      oci::StringList{"sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait"};
  oci::Resources res;
  res.pids = oci::PidsResources{};
  res.pids->limit = 4;
  b.spec.linux->resources = res;
  b.write();
  Result r = rt({"run", "-b", b.path(), "pids"});
  CHECK(contains(r.err, "can't fork"));
}

TEST_CASE("a memory limit bites, and events reports the OOM kill", "[cgroup]") {
  std::string root;
  if (!need_delegation(root) || !need_controller(root, "memory")) return;
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"/bin/box-probe", "alloc", "256"};
  oci::Resources res;
  res.memory = oci::MemoryResources{};
  res.memory->limit = 32 << 20;
  res.memory->swap = 32 << 20;
  b.spec.linux->resources = res;
  b.write();
  REQUIRE(rt({"create", "-b", b.path(), "oom"}).status == 0);
  Streaming events({runtime_bin(), "--root", rt.root(), "events", "--interval", "0", "oom"});
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  REQUIRE(rt({"start", "oom"}).status == 0);
  json first = json::parse(events.line());
  CHECK(first["type"] == "oom");
  CHECK(first["id"] == "oom");
  json last = json::parse(events.line());
  CHECK(last["type"] == "exit");
  rt({"delete", "-f", "oom"});
}

TEST_CASE("pause freezes every process, resume thaws them", "[cgroup]") {
  std::string root;
  if (!need_delegation(root)) return;
  Runtime rt;
  Bundle b;
  b.spec.process->args =
      oci::StringList{"sh", "-c", "while :; do echo x >> /tmp/ticks; sleep 0.02; done"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "freeze"}).status == 0);
  const std::string ticks = b.rootfs() + "/tmp/ticks";
  auto count = [&] {
    try {
      return boxrt::read_file(ticks).size();
    } catch (const boxrt::Error&) {
      return size_t{0};
    }
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  REQUIRE(rt({"pause", "freeze"}).status == 0);
  CHECK(status_of(rt, "freeze") == "paused");
  size_t frozen_at = count();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(count() == frozen_at);
  CHECK(contains(rt({"pause", "freeze"}).err, "is paused: only a running container"));
  CHECK(contains(rt({"delete", "freeze"}).err, "is running: stop it first"));
  REQUIRE(rt({"resume", "freeze"}).status == 0);
  CHECK(status_of(rt, "freeze") == "running");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(count() > frozen_at);
  CHECK(contains(rt({"resume", "freeze"}).err, "is not paused"));
  // A paused container can still be deleted by force.
  REQUIRE(rt({"pause", "freeze"}).status == 0);
  CHECK(rt({"delete", "-f", "freeze"}).status == 0);
  CHECK(rt.leftovers().empty());
}

TEST_CASE("update changes the limits of a running container", "[cgroup]") {
  std::string root;
  if (!need_delegation(root)) return;
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "upd"}).status == 0);
  const std::string dir = root + "/boxapp/upd";
  testing::TempDir tmp;
  if (has_controller(root, "hugetlb")) {
    const std::string doc = tmp / "res.json";
    boxrt::unique_fd fd = boxrt::open_file(doc, O_WRONLY | O_CREAT, 0644);
    boxrt::write_all(fd.get(), R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 6291456}]})",
                     doc);
    REQUIRE(rt({"update", "--resources", doc, "upd"}).status == 0);
    CHECK(file(dir + "/hugetlb.2MB.max") == "6291456");
  }
  Result pids = rt({"update", "--pids-limit", "77", "upd"});
  if (has_controller(root, "pids")) {
    CHECK(pids.status == 0);
    CHECK(file(dir + "/pids.max") == "77");
  } else {
    CHECK(pids.status == 1);
    CHECK(contains(pids.err, "linux.resources.pids.limit: the pids controller is not available"));
  }
  // Bad input names what is wrong.
  const std::string bad = tmp / "bad.json";
  {
    boxrt::unique_fd fd = boxrt::open_file(bad, O_WRONLY | O_CREAT, 0644);
    boxrt::write_all(fd.get(), "{\"pids\": {\"limit\": \"many\"}}", bad);
  }
  Result r = rt({"update", "--resources", bad, "upd"});
  CHECK(r.status == 1);
  CHECK(contains(r.err, bad + ": pids.limit: must be an integer"));
  CHECK(contains(rt({"update", "--memory", "lots", "upd"}).err, "--memory `lots`"));
  rt({"delete", "-f", "upd"});
}

TEST_CASE("kill --all reaches every process in the cgroup, pid namespace or not", "[cgroup]") {
  std::string root;
  if (!need_delegation(root)) return;
  Runtime rt;
  Bundle b;
  auto& ns = *b.spec.linux->namespaces;
  std::erase_if(ns, [](const oci::Namespace& n) { return n.type == "pid"; });
  b.spec.process->args = oci::StringList{"sh", "-c", "sleep 30 & sleep 30 & wait"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "killall"}).status == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto procs = boxrt::cgroup_pids(root + "/boxapp/killall");
  REQUIRE(procs.size() == 3);
  REQUIRE(rt({"kill", "--all", "killall", "KILL"}).status == 0);
  for (int p : procs) {
    for (int i = 0; i < 100 && is_alive(p); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK_FALSE(is_alive(p));
  }
  rt({"delete", "-f", "killall"});
}

TEST_CASE("events streams stats and ends with the exit", "[cgroup]") {
  std::string root;
  if (!need_delegation(root)) return;
  Runtime rt;
  Bundle b;
  b.spec.process->args =
      oci::StringList{"sh", "-c", "i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; sleep 30"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "ev"}).status == 0);
  Streaming events({runtime_bin(), "--root", rt.root(), "events", "--interval", "200ms", "ev"});
  json s = json::parse(events.line());
  CHECK(s["type"] == "stats");
  CHECK(s["id"] == "ev");
  CHECK(s["data"]["cpu"]["usage"]["total"].get<uint64_t>() > 0);
  CHECK(s["data"]["pids"]["current"].get<uint64_t>() >= 1);
  CHECK(s["data"]["memory"]["usage"]["usage"].get<uint64_t>() > 0);
  REQUIRE(rt({"kill", "ev", "KILL"}).status == 0);
  json last;
  for (std::string l = events.line(); !l.empty(); l = events.line())
    last = json::parse(l);
  CHECK(last["type"] == "exit");
  CHECK(last["data"]["pid"].is_number());
  CHECK(events.wait(5000) == 0);
  rt({"delete", "ev"});
}

// ---- no cgroup: these run on any host ---------------------------------------------------

TEST_CASE("without a cgroup, requested limits warn and required ones fail cleanly") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"true"};
  oci::Resources res;
  res.pids = oci::PidsResources{};
  res.pids->limit = 10;
  b.spec.linux->resources = res;
  b.write();
  Result warned = rt({"--cgroup-manager", "disabled", "run", "-b", b.path(), "warned"});
  CHECK(warned.status == 0);
  CHECK(contains(warned.err,
                 "linux.resources: not applied, the container runs without limits: "
                 "cgroups are disabled (--cgroup-manager=disabled)"));
  b.spec.annotations = std::map<std::string, std::string>{{"boxapp.resources.required", "true"}};
  b.write();
  Result failed = rt({"--cgroup-manager", "disabled", "run", "-b", b.path(), "required"});
  CHECK(failed.status == 1);
  CHECK(contains(failed.err, "linux.resources: can't be applied: cgroups are disabled"));
  CHECK(rt.leftovers().empty());
}

TEST_CASE("a limit this host can't apply fails a container that requires its limits") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"true"};
  oci::Resources res;
  res.memory = oci::MemoryResources{};
  res.memory->kernel = 1 << 20;
  b.spec.linux->resources = res;
  b.spec.annotations = std::map<std::string, std::string>{{"boxapp.resources.required", "true"}};
  b.write();
  Result r = rt({"run", "-b", b.path(), "kmem"});
  CHECK(r.status == 1);
  CHECK(contains(r.err, "linux.resources.memory.kernel: cgroup v2 has no separate kernel memory"));
  CHECK(rt.leftovers().empty());
}

TEST_CASE("stats come from /proc for a container without a cgroup") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{
      "sh", "-c", "i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; sleep 30 & sleep 30 & wait"};
  b.write();
  REQUIRE(rt({"--cgroup-manager", "disabled", "run", "-d", "-b", b.path(), "procstats"}).status ==
          0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Result r = rt({"events", "--stats", "procstats"});
  REQUIRE(r.status == 0);
  json s = json::parse(r.out);
  CHECK(s["type"] == "stats");
  CHECK(s["data"]["cpu"]["usage"]["total"].get<uint64_t>() > 0);
  CHECK(s["data"]["pids"]["current"] == 3);
  CHECK(s["data"]["memory"]["usage"]["usage"].get<uint64_t>() > 0);
  for (const char* key : {"cpu", "memory", "pids", "blkio", "hugetlb"})
    CHECK(s["data"].contains(key));
  CHECK(contains(rt({"pause", "procstats"}).err, "has no cgroup, which pause needs"));
  // events still streams, and ends with the exit.
  Streaming events(
      {runtime_bin(), "--root", rt.root(), "events", "--interval", "100ms", "procstats"});
  CHECK(json::parse(events.line())["type"] == "stats");
  REQUIRE(rt({"kill", "procstats", "KILL"}).status == 0);
  json last;
  for (std::string l = events.line(); !l.empty(); l = events.line())
    last = json::parse(l);
  CHECK(last["type"] == "exit");
  rt({"delete", "-f", "procstats"});
  CHECK(contains(rt({"events", "--stats", "procstats"}).err, "does not exist"));
}
