// boxapp end to end, as the unprivileged user: profiles run in a box in-process, with the
// app's exit code, forwarded signals, detached boxes (ps, stop, rm, exec), bundles that
// another runtime runs, and clear errors for bad profiles.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness.hpp"
#include "launcher_harness.hpp"
#include "util/sys.hpp"

using namespace itest;

namespace {

const char* kSleeper = R"([app]
description = "sleeps"
command = "/bin/sh"
args = ["-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
)";

}  // namespace

TEST_CASE("boxapp APP runs the profile's command in a box and exits with its code") {
  Launcher boxapp;
  boxapp.profile("hello", R"(# hello: says who and where it is
[app]
description = "hello"
command = "/bin/sh"
args = ["-c", "echo hello from $(hostname) as $(id -u) in $HOME; ls -A $HOME | wc -l; exit 7"]
)");
  // Something of the user's the box must not see.
  const std::string secret = std::string(std::getenv("HOME")) + "/boxapp-test-secret";
  std::ofstream(secret) << "secret";
  Result r = boxapp({"hello"});
  ::unlink(secret.c_str());
  CHECK(r.status == 7);
  CHECK(r.out == "hello from hello as " + std::to_string(own_uid()) + " in " + std::getenv("HOME") +
                     "\n0\n");
  // Arguments after -- replace the profile's.
  Result args = boxapp({"run", "hello", "--", "-c", "echo replaced $0", "x"});
  CHECK(args.status == 0);
  CHECK(args.out == "replaced x\n");
  Result version = boxapp({"--version"});
  CHECK(version.status == 0);
  CHECK(version.out == "boxapp version " BOXAPP_VERSION "\n");
}

TEST_CASE("each app has a machine-id of its own, kept between runs, and a roomy /dev/shm") {
  Launcher boxapp;
  const char* text = R"([app]
command = "/bin/sh"
args = ["-c", "cat /etc/machine-id; df -k /dev/shm | tail -1 | awk '{print $2}'"]
)";
  boxapp.profile("one", std::string("# one\n") + text);
  boxapp.profile("two", std::string("# two\n") + text);
  if (::access("/etc/machine-id", F_OK) != 0) {
    WARN("not checked: this host has no /etc/machine-id for a box's to replace");
    return;
  }
  const std::string host_id = boxrt::read_file("/etc/machine-id");
  auto run = [&](const char* app) {
    Result r = boxapp({app});
    INFO(r.err);
    REQUIRE(r.status == 0);
    std::istringstream in(r.out);
    std::string id, shm_kib;
    in >> id >> shm_kib;
    return std::make_pair(id, std::stol(shm_kib));
  };
  auto [first, shm] = run("one");
  CHECK(first.size() == 32);
  CHECK(first + "\n" != host_id);
  CHECK(run("one").first == first);  // stable for the app
  CHECK(run("two").first != first);  // and its own
  CHECK(shm > 64 * 1024);            // more than docker's 64 MiB that browsers outgrow
}

TEST_CASE("a persistent home keeps the app's files between runs, and only there") {
  Launcher boxapp;
  boxapp.profile("keeper", R"([app]
command = "/bin/sh"
args = ["-c", "cat $HOME/note 2>/dev/null; echo kept > $HOME/note"]
[home]
mode = "persist"
)");
  CHECK(boxapp({"keeper"}).out == "");
  CHECK(boxapp({"keeper"}).out == "kept\n");
  CHECK(boxrt::read_file(boxapp.data_home() + "/boxapp/keeper/home/note") == "kept\n");
}

TEST_CASE("each box has a network of its own: lo alone, up, and its own sysfs") {
  Launcher boxapp;
  boxapp.profile("net", R"([app]
command = "/bin/sh"
args = ["-c", """readlink /proc/self/ns/net; ls /sys/class/net; cat /sys/class/net/lo/operstate
python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
c = socket.create_connection(s.getsockname()); a, _ = s.accept(); c.send(b"lo works"); print(a.recv(8).decode())'"""]
)");
  boxapp.profile("sleeper", kSleeper);
  auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
      out.push_back(l);
    return out;
  };
  const std::string host_net = std::filesystem::read_symlink("/proc/self/ns/net");
  // The first start may find no session (it then makes the namespace beside the box's init);
  // later ones take the one the session made ahead (ns/spare_network.hpp). Both ways look the same.
  REQUIRE(boxapp({"run", "-d", "--name", "net-neighbour", "sleeper"}).status == 0);
  const std::string xdg = std::getenv("XDG_RUNTIME_DIR");
  CHECK(::access((xdg + "/boxapp/netns.sock").c_str(), F_OK) == 0);
  Result neighbour = boxapp({"exec", "net-neighbour", "readlink", "/proc/self/ns/net"});
  INFO(neighbour.err);
  REQUIRE(neighbour.status == 0);
  CHECK(neighbour.out != host_net + "\n");
  for (int i = 0; i < 2; ++i) {
    Result r = boxapp({"net"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    auto l = lines(r.out);
    REQUIRE(l.size() == 4);
    CHECK(l[0] != host_net);
    CHECK(l[0] + "\n" != neighbour.out);  // not shared with another box
    CHECK(l[1] == "lo");                  // /sys is of this namespace, not the host's
    CHECK(l[2] == "unknown");             // lo's state when up ("down" otherwise)
    CHECK(l[3] == "lo works");            // real traffic on 127.0.0.1 inside
  }
  CHECK(boxapp({"rm", "-f", "net-neighbour"}).status == 0);
}

TEST_CASE("signals to boxapp reach the app") {
  Launcher boxapp;
  boxapp.profile("trapper", R"([app]
command = "/bin/sh"
args = ["-c", "trap 'echo got TERM; exit 3' TERM; echo ready; while :; do sleep 0.05; done"]
)");
  int out[2];
  REQUIRE(::pipe(out) == 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    exec_argv(boxapp.command({"trapper"}));
  }
  ::close(out[1]);
  std::string seen;
  char buf[256];
  while (!contains(seen, "ready")) {
    ssize_t n = ::read(out[0], buf, sizeof buf);
    REQUIRE(n > 0);
    seen.append(buf, static_cast<size_t>(n));
  }
  // env execs boxapp: same pid.
  REQUIRE(::kill(pid, SIGTERM) == 0);
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;)
    seen.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(contains(seen, "got TERM"));
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 3);
}

TEST_CASE("detached boxes: ps, unique names, exec, stop and rm") {
  Launcher boxapp;
  // Several boxes of one app (a tmpfs home each), as app.single_instance = false allows.
  boxapp.profile("sleeper", std::string(kSleeper) + "single_instance = false\n");
  Result first = boxapp({"run", "-d", "sleeper"});
  REQUIRE(first.status == 0);
  CHECK(first.out == "sleeper\n");
  Result second = boxapp({"run", "-d", "sleeper"});
  REQUIRE(second.status == 0);
  CHECK(second.out == "sleeper-2\n");
  CHECK(contains(boxapp({"run", "-d", "--name", "sleeper", "sleeper"}).err,
                 "a box named `sleeper` is already running"));

  json ps = json::parse(boxapp({"ps", "--json"}).out);
  REQUIRE(ps.size() == 2);
  CHECK(ps[0]["name"] == "sleeper");
  CHECK(ps[0]["app"] == "sleeper");
  CHECK(ps[0]["status"] == "running");
  CHECK(ps[1]["name"] == "sleeper-2");
  CHECK(contains(boxapp({"ps"}).out, "sleeper-2"));

  Result ex = boxapp({"exec", "sleeper-2", "sh", "-c", "echo in $(hostname); exit 4"});
  CHECK(ex.status == 4);
  CHECK(ex.out == "in sleeper\n");

  CHECK(boxapp({"stop", "sleeper"}).status == 0);
  ps = json::parse(boxapp({"ps", "-a", "--json"}).out);
  CHECK(ps[0]["status"] == "stopped");
  CHECK(boxapp({"rm", "sleeper"}).status == 0);
  CHECK(contains(boxapp({"rm", "sleeper-2"}).err, "is running"));
  CHECK(boxapp({"rm", "-f", "sleeper-2"}).status == 0);
  CHECK(json::parse(boxapp({"ps", "--json"}).out).empty());
}

TEST_CASE("run -d --rm removes the box once its app ends") {
  Launcher boxapp;
  boxapp.profile("brief", "[app]\ncommand = \"/bin/sh\"\nargs = [\"-c\", \"sleep 0.5\"]\n");
  Result r = boxapp({"run", "-d", "--rm", "brief"});
  REQUIRE(r.status == 0);
  CHECK(r.out == "brief\n");
  CHECK(json::parse(boxapp({"ps", "--json"}).out).size() == 1);
  json ps;
  for (int i = 0; i < 100; ++i) {
    ps = json::parse(boxapp({"ps", "--json"}).out);
    if (ps.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(ps.empty());
}

TEST_CASE("stop kills an app that ignores SIGTERM after the grace period") {
  Launcher boxapp;
  boxapp.profile("stubborn", R"([app]
command = "/bin/sh"
args = ["-c", "trap '' TERM; while :; do sleep 0.1; done"]
)");
  REQUIRE(boxapp({"run", "-d", "stubborn"}).status == 0);
  auto t0 = std::chrono::steady_clock::now();
  CHECK(boxapp({"stop", "-t", "1", "stubborn"}).status == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(json::parse(boxapp({"ps", "-a", "--json"}).out)[0]["status"] == "stopped");
  boxapp({"rm", "stubborn"});
}

TEST_CASE("spec --bundle writes a bundle boxapp-runtime runs unchanged") {
  Launcher boxapp;
  boxapp.profile("bundled", R"([app]
command = "/bin/sh"
args = ["-c", "echo from the bundle; exit 5"]
)");
  testing::TempDir dir;
  Result s = boxapp({"spec", "bundled", "--bundle", dir / "b"});
  REQUIRE(s.status == 0);
  json spec = json::parse(boxrt::read_file(dir / "b/config.json"));
  CHECK(spec["root"]["path"] == "rootfs");
  CHECK(testing::schema_errors(spec) == std::nullopt);
  Runtime rt;
  Result r = rt({"run", "-b", dir / "b", "bundled"});
  CHECK(r.status == 5);
  CHECK(r.out == "from the bundle\n");
  // And `spec APP` prints the same process, but as the user: the export runs it as container
  // root, which is the user (docs/design.md, "Exported bundles").
  json printed = json::parse(boxapp({"spec", "bundled"}).out)["process"];
  for (const char* key : {"args", "env", "cwd", "capabilities"})
    CHECK(printed[key] == spec["process"][key]);
  CHECK(printed["user"]["uid"] == own_uid());
  CHECK(spec["process"]["user"]["uid"] == 0);
}

TEST_CASE("profiles: list with origins, show merged, edit a copy of your own") {
  Launcher boxapp;
  boxapp.profile("listed",
                 "# listed: a test profile\n[app]\ndescription = \"in the list\"\n"
                 "command = \"true\"\n[display]\nmode = \"none\"\n");
  boxapp.profile("absent", "[app]\ndescription = \"not here\"\ncommand = \"no-such-app\"\n");
  Result list = boxapp({"profiles"});
  CHECK(list.status == 0);
  CHECK(contains(list.out, "NAME             INSTALLED DESCRIPTION"));
  // Installed: its command is in the host image.
  CHECK(contains(list.out, "absent           no        not here"));
  CHECK(contains(list.out, "listed           yes       in the list"));
  CHECK(contains(boxapp({"profiles", "show", "listed"}).out, "mode = 'none'"));
  testing::TempDir config;
  Result edit = run_process({"/usr/bin/env", "XDG_CONFIG_HOME=" + config.path(), "EDITOR=cat",
                             "BOXAPP_PROFILE_PATH=" + boxrt::dir_name(boxapp.file("listed")),
                             boxapp_bin(), "profiles", "edit", "listed"});
  CHECK(edit.status == 0);
  CHECK(contains(edit.out, "# listed: a test profile"));
  CHECK(boxrt::read_file(config / "boxapp/profiles/listed.toml") == edit.out);
}

TEST_CASE("bad profiles and unknown apps are one clear line and exit 1") {
  Launcher boxapp;
  boxapp.profile("broken", "[app]\ncommand = \"x\"\n[display]\nmode = \"x12\"\n");
  Result r = boxapp({"broken"});
  CHECK(r.status == 1);
  CHECK(r.err == "boxapp: " + boxapp.file("broken") +
                     ":4:8: display.mode: expected one of x11, x11-isolated, wayland, auto, none, "
                     "not \"x12\"\n");
  Result missing = boxapp({"nosuchapp"});
  CHECK(missing.status == 1);
  CHECK(contains(missing.err, "boxapp: no profile `nosuchapp` (looked in "));
  Result check = boxapp({"profiles", "check", boxapp.file("broken")});
  CHECK(check.status == 1);
  CHECK(contains(check.err, "display.mode"));
  CHECK(json::parse(boxapp({"ps", "--json"}).out).empty());
}

TEST_CASE("the fonts fragment shares the host's font cache, read-only") {
  if (!boxrt::path_exists("/var/cache/fontconfig")) return;
  Launcher boxapp;
  boxapp.fragment("fonts");
  boxapp.profile("fonty", R"(include = ["fonts"]
[app]
command = "/bin/sh"
args = ["-c", "ls /var/cache/fontconfig | grep -c cache; touch /var/cache/fontconfig/x || echo ro"]
)");
  Result r = boxapp({"run", "fonty"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out != "0\nro\n");
  CHECK(contains(r.out, "ro\n"));
}

TEST_CASE("[image] etc = \"minimal\": what apps read of /etc, and none of the host's users") {
  Launcher boxapp;
  boxapp.profile("minetc", R"([app]
command = "/bin/sh"
args = ["-c", "cut -d: -f1 /etc/passwd | tr '\\n' ' '; echo; id -un; getent hosts localhost | cut -c1-9; test -e /etc/ssl/certs/ca-certificates.crt && echo certs; test -e /etc/fstab || echo no-fstab; test -e /etc/shadow || echo no-shadow; test -e /etc/debian_version && echo extra; ls /etc/alternatives | wc -l; ls /etc/ssl/certs | wc -l"]
[image]
etc = "minimal"
etc_files = ["debian_version"]
)");
  Result r = boxapp({"run", "minetc"});
  INFO(r.err);
  // The copy holds every entry of the host's, symlinks as symlinks.
  auto count = [](const std::string& dir) {
    return run_process({"/bin/sh", "-c", "ls " + dir + " | wc -l"}).out;
  };
  REQUIRE(r.status == 0);
  const char* user = std::getenv("USER");
  CHECK(r.out == std::string("root ") + (user ? user : "") + " nobody \n" + (user ? user : "") +
                     "\n127.0.0.1\ncerts\nno-fstab\nno-shadow\nextra\n" +
                     count("/etc/alternatives") + count("/etc/ssl/certs"));
  // A second start finds its copy current by the paths its scan stat'd, recorded beside it,
  // and binds the same one.
  const std::string versions = std::string(std::getenv("XDG_RUNTIME_DIR")) + "/boxapp/etc";
  char version[64] = {};
  REQUIRE(::readlink((versions + "/minetc").c_str(), version, sizeof version - 1) > 0);
  const std::string record = boxrt::read_file(versions + "/" + version + ".paths");
  CHECK(contains(record, "n debian_version\n"));
  CHECK(contains(record, "p /etc/alternatives\n"));
  CHECK(boxapp({"run", "minetc"}).out == r.out);
  char again[64] = {};
  REQUIRE(::readlink((versions + "/minetc").c_str(), again, sizeof again - 1) > 0);
  CHECK(std::string(again) == version);
  // The host's full /etc, by default.
  boxapp.profile(
      "hostetc",
      "[app]\ncommand = \"/bin/sh\"\nargs = [\"-c\", \"test -e /etc/fstab && echo fstab\"]\n");
  CHECK(boxapp({"run", "hostetc"}).out == "fstab\n");
  boxapp.profile("badetc", "[app]\ncommand = \"true\"\n[image]\netc_files = [\"../shadow\"]\n");
  CHECK(contains(
      boxapp({"run", "badetc"}).err,
      "image.etc_files: expected names under /etc such as \"chromium.d\", not \"../shadow\""));
}
