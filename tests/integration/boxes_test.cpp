// Boxes as `boxapp` runs them: pid 1 (a reaper), stop that waits for every process, several
// names at once, ps -a, rm -f.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "harness.hpp"
#include "launcher_harness.hpp"
#include "util/sys.hpp"

using namespace itest;

namespace {

// pid → (ppid, state), read from outside the box.
struct ProcEntry {
  int ppid = 0;
  char state = '?';
};
std::map<int, ProcEntry> all_processes() {
  std::map<int, ProcEntry> out;
  DIR* d = ::opendir("/proc");
  while (auto* e = d ? ::readdir(d) : nullptr) {
    const int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(f)), {});
    const size_t close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 2));
    ProcEntry p;
    rest >> p.state >> p.ppid;
    out[pid] = p;
  }
  if (d) ::closedir(d);
  return out;
}

// The box's init and everything under it.
std::set<int> box_processes(int init) {
  const auto procs = all_processes();
  std::set<int> in = {init};
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [pid, p] : procs)
      if (in.count(p.ppid) && in.insert(pid).second) grew = true;
  }
  return in;
}

int zombies_in(int init) {
  const auto procs = all_processes();
  int n = 0;
  for (int pid : box_processes(init))
    if (procs.count(pid) && procs.at(pid).state == 'Z') ++n;
  return n;
}

// Exited: gone, or a zombie its parent outside (the session) has yet to reap.
bool alive(int pid) {
  const auto procs = all_processes();
  return procs.count(pid) && procs.at(pid).state != 'Z';
}

int init_of(const Launcher& boxapp, const std::string& name) {
  for (const auto& b : json::parse(boxapp({"ps", "--json"}).out))
    if (b["name"] == name) return b["pid"].get<int>();
  return 0;
}

// An app whose child is orphaned and exits: the orphan's zombie is pid 1's to reap.
const char* kOrphaning = R"([app]
command = "/bin/sh"
args = ["-c", "(sleep 0.2 &); exec sleep 30"]
)";

}  // namespace

TEST_CASE("a box's pid 1 reaps orphans and passes SIGTERM on to the app") {
  Launcher boxapp;
  boxapp.profile("orphans", kOrphaning);
  boxapp.profile("orphans-noinit", std::string("[app]\ninit = false\n") + (kOrphaning + 6));
  REQUIRE(boxapp({"run", "-d", "orphans"}).status == 0);
  REQUIRE(boxapp({"run", "-d", "orphans-noinit"}).status == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  CHECK(zombies_in(init_of(boxapp, "orphans")) == 0);
  // The same app as pid 1 itself: its orphan stays a zombie, and SIGTERM is dropped.
  CHECK(zombies_in(init_of(boxapp, "orphans-noinit")) == 1);
  auto t0 = std::chrono::steady_clock::now();
  CHECK(boxapp({"stop", "orphans"}).status == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  t0 = std::chrono::steady_clock::now();
  CHECK(boxapp({"stop", "-t", "1", "orphans-noinit"}).status == 0);
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::seconds(1));
  // The app's exit status comes through pid 1, the runtime's reaper.
  boxapp.profile("three",
                 "[app]\ncommand = \"/bin/sh\"\nargs = [\"-c\", \"cat /proc/1/comm; exit 3\"]\n");
  Result three = boxapp({"run", "three"});
  CHECK(three.status == 3);
  CHECK(three.out == "boxapp-init\n");
  boxapp({"rm", "orphans", "orphans-noinit"});
}

TEST_CASE("stop returns once every process of the boxes is gone; several names, --all") {
  Launcher boxapp;
  // The app leaves at SIGTERM; a child that ignores it goes with the box.
  boxapp.profile("leaver", R"([app]
command = "/bin/sh"
args = ["-c", "(trap '' TERM; exec sleep 60) & trap 'exit 0' TERM; while :; do sleep 0.1; done"]
)");
  for (const char* name : {"one", "two", "three"})
    REQUIRE(boxapp({"run", "-d", "--name", name, "leaver"}).status == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::set<int> pids;
  for (const char* name : {"one", "two", "three"})
    for (int pid : box_processes(init_of(boxapp, name)))
      pids.insert(pid);
  CHECK(pids.size() >= 9);
  CHECK(boxapp({"stop", "one", "two"}).status == 0);
  CHECK(boxapp({"ps", "--json"}).out.find("\"one\"") == std::string::npos);
  json all = json::parse(boxapp({"ps", "-a", "--json"}).out);
  CHECK(all.size() == 3);
  CHECK(boxapp({"stop", "--all"}).status == 0);
  for (int pid : pids)
    CHECK(!alive(pid));
  Result neither = boxapp({"stop"});
  CHECK(neither.status == 1);
  CHECK(neither.err ==
        "boxapp: stop: name the boxes to stop, or give --all for every running one\n");
  CHECK(boxapp({"stop", "ghost"}).err == "boxapp: no box `ghost`\n");
  CHECK(boxapp({"rm", "one", "two", "three"}).status == 0);
  CHECK(json::parse(boxapp({"ps", "-a", "--json"}).out).empty());
}

TEST_CASE("rm -f stops a running box first, and waits for it") {
  Launcher boxapp;
  boxapp.profile("sleeper", "[app]\ncommand = \"sleep\"\nargs = [\"60\"]\n");
  REQUIRE(boxapp({"run", "-d", "sleeper"}).status == 0);
  const int init = init_of(boxapp, "sleeper");
  const std::set<int> pids = box_processes(init);
  CHECK(contains(boxapp({"rm", "sleeper"}).err, "is running"));
  CHECK(boxapp({"rm", "-f", "sleeper"}).status == 0);
  for (int pid : pids)
    CHECK(!alive(pid));
  CHECK(json::parse(boxapp({"ps", "-a", "--json"}).out).empty());
}

TEST_CASE("boxapp alone prints a short usage and exits 2") {
  Launcher boxapp;
  Result r = boxapp({});
  CHECK(r.status == 2);
  CHECK(contains(r.err, "usage: boxapp APP [-- ARGS]"));
  CHECK(contains(boxapp({"--help"}).out, "`boxapp shell`"));
}

TEST_CASE("run -d lets the caller's pipe go; logs shows what the box printed, -f follows it") {
  Launcher boxapp;
  boxapp.profile("talker", R"([app]
command = "/bin/sh"
args = ["-c", "echo hello; echo oops >&2; sleep 1; echo later; exec sleep 60"]
)");
  // The harness reads our stdout to EOF: a box holding it would keep this waiting.
  auto t0 = std::chrono::steady_clock::now();
  Result r = boxapp({"run", "-d", "talker"}, 20);
  CHECK(r.status == 0);
  CHECK(r.out == "talker\n");
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(boxapp({"logs", "talker"}).out == "hello\noops\n");
  // -f: what comes later too, until the box stops.
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    boxapp({"stop", "talker"});
  });
  Result followed = boxapp({"logs", "-f", "talker"});
  stopper.join();
  CHECK(followed.out == "hello\noops\nlater\n");
  CHECK(boxapp({"logs", "--tail", "1", "talker"}).out == "later\n");
  CHECK(boxapp({"rm", "talker"}).status == 0);
  Result gone = boxapp({"logs", "talker"});
  CHECK(gone.status == 1);
  CHECK(gone.err == "boxapp: no box `talker`\n");
}

TEST_CASE("a detached box's log is capped: the newest part of what it wrote is kept") {
  Launcher boxapp;
  // 3 MiB of numbered lines, then the end mark.
  boxapp.profile("chatty", R"([app]
command = "/bin/sh"
args = ["-c", "seq 1 400000; echo the-end"]
)");
  REQUIRE(boxapp({"run", "-d", "chatty"}).status == 0);
  for (int i = 0; i < 100 && json::parse(boxapp({"ps", "--json"}).out).size() == 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const char* state = std::getenv("XDG_STATE_HOME");
  const char* home = std::getenv("HOME");
  const std::string log =
      (state && *state ? std::string(state) : std::string(home) + "/.local/state") +
      "/boxapp/logs/chatty.log";
  struct stat now, older;
  REQUIRE(::stat(log.c_str(), &now) == 0);
  REQUIRE(::stat((log + ".1").c_str(), &older) == 0);
  CHECK(now.st_size <= 1 << 20);
  CHECK(older.st_size <= 1 << 20);
  Result tail = boxapp({"logs", "--tail", "2", "chatty"});
  CHECK(tail.out == "400000\nthe-end\n");
  boxapp({"rm", "chatty"});
  CHECK(!boxrt::path_exists(log));
  CHECK(!boxrt::path_exists(log + ".1"));
}

TEST_CASE("boxapp exec takes podman exec's -e, -w, -u, -d and -t") {
  Launcher boxapp;
  boxapp.profile("sleeper", "[app]\ncommand = \"sleep\"\nargs = [\"60\"]\n");
  REQUIRE(boxapp({"run", "-d", "sleeper"}).status == 0);
  Result r = boxapp({"exec", "-e", "FOO=bar", "-e", "HOME=/elsewhere", "-w", "/tmp", "sleeper",
                     "sh", "-c", "echo $FOO $HOME; pwd"});
  CHECK(r.status == 0);
  CHECK(r.out == "bar /elsewhere\n/tmp\n");
  const std::string ids = std::to_string(::getuid()) + ":" + std::to_string(::getgid());
  CHECK(boxapp({"exec", "-u", ids, "sleeper", "id", "-u"}).out ==
        std::to_string(::getuid()) + "\n");
  Result bad = boxapp({"exec", "-u", "alice", "sleeper", "true"});
  CHECK(bad.status == 1);
  CHECK(bad.err == "boxapp: exec --user: expected UID or UID:GID (numbers), not `alice`\n");
  // -d returns while it runs.
  auto t0 = std::chrono::steady_clock::now();
  CHECK(boxapp({"exec", "-d", "sleeper", "sh", "-c", "sleep 1; echo done > /tmp/flag"}).status ==
        0);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(boxapp({"exec", "sleeper", "cat", "/tmp/flag"}).out == "done\n");
  // -t: a terminal, though ours is a pipe.
  CHECK(
      contains(boxapp({"exec", "-t", "sleeper", "sh", "-c", "test -t 0 && echo tty"}).out, "tty"));
  Result none = boxapp({"exec", "sleeper"});
  CHECK(none.status == 1);
  CHECK(none.err ==
        "boxapp: exec: give a command to run in `sleeper`: boxapp exec [OPTIONS] "
        "NAME COMMAND [ARGS...]\n");
  boxapp({"rm", "-f", "sleeper"});
}

TEST_CASE("helper processes show as what they are in ps, not as the command that forked them") {
  Launcher boxapp;
  boxapp.profile("sleeper", "[app]\ncommand = \"sleep\"\nargs = [\"60\"]\n");
  REQUIRE(boxapp({"run", "-d", "--name", "titled", "sleeper"}).status == 0);
  std::set<std::string> titles;
  bool stale = false;
  for (const auto& [pid, p] : all_processes()) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline");
    std::string args((std::istreambuf_iterator<char>(f)), {});
    if (args.find(std::string("run\0-d\0--name\0titled", 21)) != std::string::npos) stale = true;
    titles.insert(args.substr(0, args.find('\0')));
  }
  CHECK_FALSE(stale);
  CHECK(titles.count("boxapp-session"));
  CHECK(titles.count("boxapp-log"));
  boxapp({"rm", "-f", "titled"});
}

TEST_CASE("boxapp inspect: the box's record, spec, mounts and grants as JSON") {
  Launcher boxapp;
  boxapp.profile("seen", R"([app]
command = "sleep"
args = ["60"]
[home]
mode = "persist"
)");
  REQUIRE(boxapp({"run", "-d", "seen"}).status == 0);
  Result r = boxapp({"inspect", "seen"});
  REQUIRE(r.status == 0);
  json j = json::parse(r.out);
  CHECK(j["name"] == "seen");
  CHECK(j["app"] == "seen");
  CHECK(j["status"] == "running");
  CHECK(j["pid"].get<int>() > 0);
  CHECK(j["home"] == boxapp.data_home() + "/boxapp/seen/home");
  CHECK(j["ip"].is_null());
  CHECK(boxrt::path_exists(j["spec"].get<std::string>()));
  CHECK(j["grants"]["network"] == "none");
  CHECK(j["grants"]["sound"] == false);
  CHECK(j["grants"]["display"].is_null());
  bool home_mount = false;
  for (const auto& m : j["mounts"])
    home_mount = home_mount || m["source"] == boxapp.data_home() + "/boxapp/seen/home";
  CHECK(home_mount);
  CHECK(boxapp({"inspect", "nobody"}).err == "boxapp: no box `nobody`\n");
  boxapp({"rm", "-f", "seen"});
}
