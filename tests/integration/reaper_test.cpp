// The runtime's own pid 1 (init/reaper.cpp), asked for by the org.boxapp.runtime.reaper
// annotation: it reaps, passes signals on, exits with the process's status, stays closed
// to the container and hands `exec` its namespaces.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "harness.hpp"
#include "init/plan.hpp"

using namespace itest;

namespace {

void ask_for_reaper(Bundle& b) {
  b.spec.annotations = oci::StringMap{{boxrt::kReaperAnnotation, "1"}};
}

// The children of pid that are zombies, read from the host's /proc.
int zombie_children(int pid) {
  int n = 0;
  DIR* d = ::opendir("/proc");
  while (auto* e = d ? ::readdir(d) : nullptr) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/stat");
    std::string stat((std::istreambuf_iterator<char>(f)), {});
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == pid &&
        state == 'Z')
      ++n;
  }
  if (d) ::closedir(d);
  return n;
}

}  // namespace

TEST_CASE("the reaper: pid 1 passes the process's status through, 128+N for a signal") {
  Runtime rt;
  Bundle b;
  ask_for_reaper(b);
  b.spec.process->args = oci::StringList{"sh", "-c", "echo $$; exit 5"};
  b.write();
  Result r = rt({"run", "-b", b.path(), "st"});
  CHECK(r.status == 5);
  CHECK(r.out == "2\n");  // the process is pid 1's child
  b.spec.process->args = oci::StringList{"sh", "-c", "kill -9 $$"};
  b.write();
  CHECK(rt({"run", "-b", b.path(), "sig"}).status == 128 + 9);
  CHECK(rt.leftovers().empty());
}

TEST_CASE("the reaper reaps orphans, passes SIGTERM on, and stays closed to the container") {
  Runtime rt;
  Bundle b;
  ask_for_reaper(b);
  b.spec.hostname = "reaped";
  // An orphan that exits: without a reaper it would stay a zombie of pid 1.
  b.spec.process->args = oci::StringList{"sh", "-c", "(sleep 0.2 &); exec sleep 30"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "rp"}).status == 0);
  const int init = init_pid(rt, "rp");
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  CHECK(zombie_children(init) == 0);
  CHECK(json::parse(rt({"state", "rp"}).out)["status"] == "running");
  // Still the runtime's copy: its binary and memory are nobody's to open, not even ours
  // (CVE-2019-5736); exec gets the namespaces from it on its socket instead.
  CHECK(::open(("/proc/" + std::to_string(init) + "/exe").c_str(), O_PATH | O_CLOEXEC) == -1);
  Result in = rt({"exec", "rp", "sh", "-c",
                  "hostname; cat /proc/2/comm; readlink /proc/1/exe || echo no exe; exit 3"});
  CHECK(in.status == 3);
  CHECK(in.out == "reaped\nsleep\nno exe\n");
  // `sleep` installed no handler: as pid 1 it would never see SIGTERM.
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(rt({"kill", "rp", "TERM"}).status == 0);
  while (is_alive(init) && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_FALSE(is_alive(init));
  CHECK(json::parse(rt({"state", "rp"}).out)["status"] == "stopped");
  CHECK(rt({"delete", "rp"}).status == 0);
}

TEST_CASE("the reaper: exec before and after start, and created becomes running") {
  Runtime rt;
  Bundle b;
  ask_for_reaper(b);
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  REQUIRE(rt({"create", "-b", b.path(), "cr"}).status == 0);
  CHECK(json::parse(rt({"state", "cr"}).out)["status"] == "created");
  CHECK(rt({"exec", "cr", "true"}).status == 0);
  REQUIRE(rt({"start", "cr"}).status == 0);
  CHECK(json::parse(rt({"state", "cr"}).out)["status"] == "running");
  // pid 2 was the exec's `true`; the process came after it.
  Result after = rt({"exec", "cr", "sh", "-c", "cat /proc/1/comm /proc/3/comm"});
  CHECK(after.status == 0);
  CHECK(after.out == "boxapp-init\nsleep\n");
  CHECK(rt({"delete", "-f", "cr"}).status == 0);
  CHECK(rt.leftovers().empty());
}

TEST_CASE("without a cgroup, ps and stats find a reaper's processes through its child") {
  Runtime rt;
  Bundle b;
  ask_for_reaper(b);
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  // No cgroup (as on a host that delegates none): the processes are found by pid namespace,
  // which the undumpable reaper hides and its child tells.
  REQUIRE(rt({"--cgroup-manager", "disabled", "run", "-d", "-b", b.path(), "nocg"}).status == 0);
  REQUIRE(rt({"exec", "-d", "nocg", "sleep", "30"}).status == 0);
  const std::string ps = rt({"ps", "nocg"}).out;
  CHECK(std::count(ps.begin(), ps.end(), '\n') == 4);  // the header, the reaper, two sleeps
  Result stats = rt({"events", "--stats", "nocg"});
  REQUIRE(stats.status == 0);
  CHECK(json::parse(stats.out)["data"]["pids"]["current"] == 3);
  CHECK(rt({"delete", "-f", "nocg"}).status == 0);
  CHECK(rt.leftovers().empty());
}
