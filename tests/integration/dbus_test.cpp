// [dbus] against a real session bus (dbus-daemon, started here as the test user) with the
// test's services on it (tests/data/dbus/service.py): a box reaches the names its profile
// grants through its own xdg-dbus-proxy and nothing else, owns only the names it may,
// sends notifications through the fragment; a box without [dbus] has no bus; the proxy
// ends with its box, and with a start that is killed.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "desktop_servers.hpp"
#include "harness.hpp"
#include "launcher_harness.hpp"
#include "util/atomic_file.hpp"
#include "util/sys.hpp"

using namespace itest;

namespace {

std::string service_script() {
  const char* stage = std::getenv("BOXAPP_STAGE");
  return stage && *stage ? std::string(stage) + "/dbus-service.py"
                         : std::string(BOXAPP_SOURCE_DIR) + "/tests/data/dbus/service.py";
}

// A session bus of the test's own, with the services on it; `env` is what the services
// it starts on demand (the desktop portal) see besides the test's environment.
class TestBus {
 public:
  explicit TestBus(const std::vector<std::string>& env = {}) {
    bus_ = ::fork();
    if (bus_ == 0) {
      ::setsid();
      for (const auto& kv : env)
        ::putenv(const_cast<char*>(kv.c_str()));
      exec_argv({"/usr/bin/dbus-daemon", "--session", "--nofork", "--nopidfile",
                 "--address=unix:path=" + dir_ / "bus"});
    }
    wait_for([&] { return boxrt::path_exists(dir_ / "bus"); }, "dbus-daemon's socket");
    service_ = ::fork();
    if (service_ == 0) {
      ::setsid();
      ::setenv("DBUS_SESSION_BUS_ADDRESS", address().c_str(), 1);
      exec_argv({"/usr/bin/python3", service_script(), log()});
    }
    wait_for([&] { return ask("org.example.Denied", "up") == "('denied: up',)\n"; },
             "the test's services");
  }
  ~TestBus() {
    for (pid_t p : {service_, bus_}) {
      ::kill(p, SIGKILL);
      ::waitpid(p, nullptr, 0);
    }
  }
  std::string address() const { return "unix:path=" + dir_ / "bus"; }
  std::string log() const { return dir_ / "notifications.log"; }
  // Echo on NAME, from outside any box.
  std::string ask(const std::string& name, const std::string& text) const {
    return run_process({"/usr/bin/env", "DBUS_SESSION_BUS_ADDRESS=" + address(), "/usr/bin/gdbus",
                        "call", "--session", "--dest", name, "--object-path", "/org/example/Test",
                        "--method", "org.example.Test.Echo", text})
        .out;
  }

 private:
  template <class F>
  static void wait_for(F ready, const char* what) {
    for (int i = 0; i < 200; ++i) {
      if (ready()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    FAIL(what << " did not come up");
  }
  testing::TempDir dir_;
  pid_t bus_ = -1, service_ = -1;
};

// In the box: Echo on NAME through its bus.
std::string call_in_box(const std::string& name) {
  return "gdbus call --session --dest " + name +
         " --object-path /org/example/Test --method org.example.Test.Echo hi 2>&1";
}

// Our xdg-dbus-proxy processes, after a moment for a keeper to see its box go.
int proxies_left() {
  int n = 0;
  for (int i = 0; i < 40; ++i) {
    n = std::stoi(
        run_process({"/bin/sh", "-c",
                     "pgrep -c -u " + std::to_string(own_uid()) + " -x xdg-dbus-proxy || true"})
            .out);
    if (n == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return n;
}

const char* kShell = "[app]\ncommand = \"/bin/sh\"\n";

}  // namespace

TEST_CASE(
    "a filtered bus: the box reaches what it may talk to, sees what it may see, owns "
    "only its names") {
  TestBus bus;
  Launcher boxapp;
  boxapp.env("DBUS_SESSION_BUS_ADDRESS=" + bus.address());
  boxapp.profile("player", std::string(kShell) +
                               "[dbus]\nsession = \"filter\"\ntalk = [\"org.example.Allowed\"]\n"
                               "see = [\"org.example.Denied\"]\n"
                               "own = [\"org.mpris.MediaPlayer2.${APP}.*\"]\n");
  Result ok = boxapp({"run", "player", "--", "-c", call_in_box("org.example.Allowed")});
  INFO(ok.err);
  CHECK(ok.status == 0);
  CHECK(ok.out == "('allowed: hi',)\n");
  // Seen, not talked to: the proxy refuses the call itself.
  Result denied = boxapp({"run", "player", "--", "-c", call_in_box("org.example.Denied")});
  CHECK(denied.status != 0);
  CHECK(contains(denied.out, "org.freedesktop.DBus.Error.AccessDenied"));
  CHECK(bus.ask("org.example.Denied", "still there") == "('denied: still there',)\n");
  // The notification service is neither: to the box it isn't there.
  Result hidden =
      boxapp({"run", "player", "--", "-c", call_in_box("org.freedesktop.Notifications")});
  CHECK(hidden.status != 0);
  CHECK(contains(hidden.out, "org.freedesktop.DBus.Error.ServiceUnknown"));
  // Its MPRIS name is its own; any other isn't.
  const std::string own =
      "import dbus, sys\nb = dbus.SessionBus()\nprint(b.request_name(sys.argv[1]))\n";
  Result mpris = boxapp({"run", "player", "--", "-c",
                         "/usr/bin/python3 -c '" + own + "' org.mpris.MediaPlayer2.player"});
  INFO(mpris.err);
  CHECK(mpris.out == "1\n");  // DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER
  Result other =
      boxapp({"run", "player", "--", "-c", "/usr/bin/python3 -c '" + own + "' org.example.Mine"});
  // The proxy answers for the bus: as if no such name could be had.
  CHECK(other.status != 0);
  CHECK(other.out.empty());
  CHECK(contains(other.out + other.err, "org.freedesktop.DBus.Error.ServiceUnknown"));
  // The spec says what the proxy lets through.
  Result spec = boxapp({"spec", "player"});
  CHECK(contains(spec.out, "--talk=org.example.Allowed --own=org.mpris.MediaPlayer2.player.*"));
  // Each box's proxy went with it.
  CHECK(proxies_left() == 0);
}

TEST_CASE("notify-send in a box with the notifications fragment reaches the session's service") {
  TestBus bus;
  Launcher boxapp;
  boxapp.env("DBUS_SESSION_BUS_ADDRESS=" + bus.address());
  boxapp.fragment("notifications");
  boxapp.profile("notifier", "include = [\"notifications\"]\n" + std::string(kShell));
  Result r = boxapp({"run", "notifier", "--", "-c", "notify-send 'from a box' 'it works'"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(boxrt::read_file(bus.log()) == "from a box|it works\n");
  CHECK(proxies_left() == 0);
}

TEST_CASE("a box without [dbus] has no bus: no socket, no address, nothing of the host's") {
  TestBus bus;
  Launcher boxapp;
  boxapp.env("DBUS_SESSION_BUS_ADDRESS=" + bus.address());
  boxapp.profile("quiet", kShell);
  const std::string socket = bus.address().substr(10);
  Result r = boxapp({"run", "quiet", "--", "-c",
                     "echo \"[$DBUS_SESSION_BUS_ADDRESS]\"; ls -A $XDG_RUNTIME_DIR; test -e " +
                         socket + " && echo visible; " + call_in_box("org.example.Allowed")});
  CHECK(r.status != 0);
  CHECK(r.out.rfind("[]\n", 0) == 0);
  CHECK_FALSE(contains(r.out, "dbus-proxy"));
  CHECK_FALSE(contains(r.out, "visible"));
  CHECK_FALSE(contains(r.out, "allowed: hi"));
  CHECK(proxies_left() == 0);
}

TEST_CASE("a start killed while its proxy runs leaves no proxy behind") {
  TestBus bus;
  Launcher boxapp;
  boxapp.env("DBUS_SESSION_BUS_ADDRESS=" + bus.address());
  // A hook that holds the start long enough to kill it there, proxy started.
  boxapp.profile("slow", std::string(kShell) +
                             "[dbus]\nsession = \"filter\"\ntalk = [\"org.example.Allowed\"]\n"
                             "[[hooks.createRuntime]]\npath = \"/bin/sleep\"\nargs = [\"20\"]\n");
  const pid_t start = ::fork();
  if (start == 0) {
    ::setpgid(0, 0);
    exec_argv(boxapp.command({"run", "slow", "--", "-c", "true"}));
  }
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {
    seen = run_process({"/usr/bin/pgrep", "-u", std::to_string(own_uid()), "-x", "xdg-dbus-proxy"})
               .status == 0;
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  CHECK(seen);
  ::kill(start, SIGKILL);
  ::waitpid(start, nullptr, 0);
  CHECK(proxies_left() == 0);
  // What the killed start left (the box half made, the hook) is the reaper's to clear.
  run_process(
      {"/usr/bin/pkill", "-KILL", "-u", std::to_string(own_uid()), "-f", "^/bin/sleep 20$"});
  boxapp({"rm", "-f", "slow"});
}

namespace {

// The user's default browser, as far as the desktop portal knows: a .desktop entry that
// records the links it is given (no traffic), the default for http and https.
struct RecordingBrowser {
  RecordingBrowser() {
    boxrt::make_dirs(dir / "data/applications", 0755);
    boxrt::make_dirs(dir / "config", 0755);
    boxrt::write_file_atomic(dir / "open", "#!/bin/sh\necho \"$1\" >> " + opened() + "\n", 0755);
    boxrt::write_file_atomic(
        dir / "data/applications/boxapp-test-browser.desktop",
        "[Desktop Entry]\nType=Application\nName=Test browser\nExec=" + dir / "open" +
            " %u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;\n");
    boxrt::write_file_atomic(
        dir / "config/mimeapps.list",
        "[Default Applications]\nx-scheme-handler/https=boxapp-test-browser.desktop\n"
        "x-scheme-handler/http=boxapp-test-browser.desktop\n");
  }
  std::vector<std::string> env(const std::string& display) const {
    return {"DISPLAY=" + display, "XDG_DATA_HOME=" + dir / "data",
            "XDG_CONFIG_HOME=" + dir / "config", "XDG_DATA_DIRS=/usr/share"};
  }
  std::string opened() const { return dir / "opened"; }
  // What it was given, once it has been (the portal starts it on its own time).
  std::string wait_opened() const {
    for (int i = 0; i < 100 && !boxrt::path_exists(opened()); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return boxrt::try_read_file(opened()).value_or("");
  }
  testing::TempDir dir;
};

}  // namespace

TEST_CASE("xdg-open in a box with the portals fragment opens the link on the host, by OpenURI") {
  if (::access("/usr/libexec/xdg-desktop-portal", X_OK) != 0 ||
      ::access("/usr/libexec/xdg-desktop-portal-gtk", X_OK) != 0) {
    WARN("skipped: xdg-desktop-portal and xdg-desktop-portal-gtk are not installed");
    return;
  }
  // The portal's GTK backend, which OpenURI needs, wants a display: Xvfb's.
  Xvfb x("");
  RecordingBrowser browser;
  TestBus bus(browser.env(x.display()));
  Launcher boxapp;
  boxapp.env("DBUS_SESSION_BUS_ADDRESS=" + bus.address());
  boxapp.fragment("portals");
  boxapp.profile("reader", "include = [\"portals\"]\n" + std::string(kShell));
  Result r = boxapp({"run", "reader", "--", "-c", "xdg-open https://example.invalid/from-a-box"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  // Opened by the host's browser, which the portal started, not by one in the box.
  CHECK(browser.wait_opened() == "https://example.invalid/from-a-box\n");
  CHECK(proxies_left() == 0);
}

TEST_CASE("xdg-open in a box that can't reach the portals says what its profile lacks") {
  TestBus bus;
  Launcher boxapp;
  boxapp.env("DBUS_SESSION_BUS_ADDRESS=" + bus.address());
  boxapp.profile("nobus", kShell);
  boxapp.profile(
      "otherbus",
      std::string(kShell) + "[dbus]\nsession = \"filter\"\ntalk = [\"org.example.Allowed\"]\n");
  for (const char* app : {"nobus", "otherbus"}) {
    Result r = boxapp({"run", app, "--", "-c", "xdg-open https://example.invalid/"});
    INFO(app << ": " << r.out << r.err);
    CHECK(r.status == 3);
    CHECK(contains(r.err, "xdg-open: "));
    CHECK(contains(r.err, "include = [\"portals\"]"));
  }
  Result file = boxapp({"run", "nobus", "--", "-c", "xdg-open /etc/hostname"});
  CHECK(file.status == 3);
  CHECK(contains(file.err, "/etc/hostname: boxes open links on the host, not files"));
}
