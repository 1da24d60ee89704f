// A real systemd user manager: --systemd-cgroup's transient scopes, and the units
// boxapp-netns.service and boxapp@.service (ready when the app runs or says so, the box in
// the unit's cgroup, its output the unit's, stopped through boxapp stop with nothing left).
// The [systemd] tests need that manager: scripts/test runs them under
// scripts/with-delegated-cgroup --systemd-user. The fallback without one runs anywhere.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include "harness.hpp"
#include "launcher_harness.hpp"
#include "util/sys.hpp"
#include "util/user_dirs.hpp"

using namespace itest;

namespace {

bool user_bus() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (xdg && ::access((std::string(xdg) + "/bus").c_str(), F_OK) == 0) return true;
  WARN("no user bus at $XDG_RUNTIME_DIR/bus: run through scripts/test as root");
  return false;
}

std::string systemctl(const std::string& args) {
  return testing::run_shell("systemctl --user " + args + " 2>&1").output;
}

// The units' environment for this test's boxapp (its profiles, its data home), and the
// file their output goes to, as a drop-in for every boxapp@ unit; gone with the object.
class UnitDropIn {
 public:
  UnitDropIn(const Launcher& boxapp, const std::string& profiles) {
    boxrt::make_dirs(dir_, 0755);
    ::chmod(out_.path().c_str(), 0755);
    std::ofstream(dir_ + "/test.conf")
        << "[Service]\nEnvironment=BOXAPP_PROFILE_PATH=" << profiles
        << " XDG_DATA_HOME=" << boxapp.data_home() << "\nStandardOutput=append:" << output()
        << "\nStandardError=append:" << output() << "\n";
  }
  ~UnitDropIn() {
    ::unlink((dir_ + "/test.conf").c_str());
    ::rmdir(dir_.c_str());
    ::unlink((boxrt::user_config_dir() + "/systemd/user/boxapp@.service").c_str());
    systemctl("daemon-reload");
  }
  std::string output() const { return out_ / "unit.log"; }

 private:
  std::string dir_ = boxrt::user_config_dir() + "/systemd/user/boxapp@.service.d";
  testing::TempDir out_;
};

std::string profile_dir_of(const Launcher& boxapp) {
  return boxrt::dir_name(boxapp.file("x"));
}

double seconds_of(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("--systemd-cgroup puts the container in a transient scope of the user manager",
          "[systemd]") {
  if (!user_bus()) return;
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  oci::Resources res;
  res.hugepage_limits = std::vector<oci::HugepageLimit>{{"2MB", 2 << 20, {}}};
  b.spec.linux->resources = res;
  // Where the scope lacks hugetlb (a hybrid host's v1 keeps it), a warning, not runc's error.
  b.spec.annotations = std::map<std::string, std::string>{{"boxapp.resources.required", "false"}};
  b.write();
  Result r = rt({"--systemd-cgroup", "run", "-d", "-b", b.path(), "sd"});
  REQUIRE(r.status == 0);
  const int pid = init_pid(rt, "sd");
  const std::string cg = cgroup_of(pid);
  CHECK(cg.ends_with("/boxapp-sd.scope"));
  CHECK(contains(systemctl("is-active boxapp-sd.scope"), "active"));
  CHECK(contains(systemctl("show -p Delegate boxapp-sd.scope"), "Delegate=yes"));
  auto host_mount = std::string("/sys/fs/cgroup");
  if (::access((host_mount + cg + "/hugetlb.2MB.max").c_str(), F_OK) == 0)
    CHECK(boxrt::read_file(host_mount + cg + "/hugetlb.2MB.max") == "2097152\n");
  // The scope's cgroup is the container's: pause and stats work through it.
  CHECK(rt({"pause", "sd"}).status == 0);
  CHECK(rt({"resume", "sd"}).status == 0);
  Result del = rt({"delete", "-f", "sd"});
  INFO(del.err);
  REQUIRE(del.status == 0);
  CHECK(::access((host_mount + cg).c_str(), F_OK) != 0);
  CHECK_FALSE(contains(systemctl("is-active boxapp-sd.scope"), "\nactive"));
}

TEST_CASE("boxapp-netns.service: the bridge's holder as a user service, ready once it serves",
          "[systemd]") {
  if (!user_bus()) return;
  // The unit as meson installs it, its ExecStart the staged boxapp-netns.
  std::string unit = boxrt::read_file(BOXAPP_SOURCE_DIR "/desktop/boxapp-netns.service.in");
  unit.replace(unit.find("@BINDIR@"), 8, boxrt::dir_name(netns_bin()));
  testing::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  const std::string path = dir / "boxapp-netns.service";
  std::ofstream(path) << unit;
  run_process({netns_bin(), "stop", "--force"});
  REQUIRE(contains(systemctl("link " + path), "boxapp-netns.service"));
  // Type=notify: start returns once READY=1 came, with the holder serving.
  CHECK(systemctl("start boxapp-netns.service") == "");
  CHECK(trimmed(systemctl("is-active boxapp-netns.service")) == "active");
  const std::string main_pid = trimmed(systemctl("show -p MainPID --value boxapp-netns.service"));
  Result status = run_process({netns_bin(), "status"});
  CHECK(contains(status.out, ": up, "));
  CHECK(contains(status.out, "holder: " + main_pid + "\n"));
  // A bridged box attaches to it, and it stays after the box, as a service does.
  Launcher boxapp;
  boxapp.profile("bridged",
                 "[app]\ncommand = \"sh\"\nargs = [\"-c\", \"busybox ip -4 addr show "
                 "eth0\"]\n[network]\nmode = \"bridge\"\n");
  CHECK(contains(boxapp({"run", "bridged"}).out, "inet 10.89.0."));
  CHECK(trimmed(systemctl("show -p MainPID --value boxapp-netns.service")) == main_pid);
  CHECK(systemctl("stop boxapp-netns.service") == "");
  CHECK(!contains(run_process({netns_bin(), "status"}).out, ": up, "));
  systemctl("disable boxapp-netns.service");
}

TEST_CASE("a systemd cgroupsPath names the slice and the scope", "[systemd]") {
  if (!user_bus()) return;
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.spec.linux->cgroups_path = "app.slice:boxtest:named";
  b.write();
  REQUIRE(rt({"--cgroup-manager", "systemd", "run", "-d", "-b", b.path(), "named"}).status == 0);
  CHECK(cgroup_of(init_pid(rt, "named")).ends_with("/app.slice/boxtest-named.scope"));
  rt({"delete", "-f", "named"});
}

TEST_CASE("without a systemd manager to ask, --systemd-cgroup warns, or fails when required") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"true"};
  oci::Resources res;
  res.pids = oci::PidsResources{};
  res.pids->limit = 5;
  b.spec.linux->resources = res;
  // Warned (not refused, runc's default) because the spec says so.
  b.spec.annotations = std::map<std::string, std::string>{{"boxapp.resources.required", "false"}};
  b.write();
  auto run = [&](const std::string& id) {
    return run_process({"/usr/bin/env", "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus",
                        runtime_bin(), "--root", rt.root(), "--systemd-cgroup", "run", "-b",
                        b.path(), id});
  };
  Result warned = run("nobus");
  CHECK(warned.status == 0);
  CHECK(contains(warned.err,
                 "linux.resources: not applied, the container runs without limits: "
                 "no scope from systemd: connect to the user bus"));
  b.spec.annotations = std::map<std::string, std::string>{{"boxapp.resources.required", "true"}};
  b.write();
  Result failed = run("nobus-required");
  CHECK(failed.status == 1);
  CHECK(contains(failed.err, "linux.resources: can't be applied: no scope from systemd"));
  CHECK(rt.leftovers().empty());
}

TEST_CASE(
    "boxapp@APP.service: ready once the app runs, the box in the unit's cgroup, its "
    "output the unit's, stopped through boxapp stop with nothing left",
    "[systemd]") {
  if (!user_bus()) return;
  Launcher boxapp;
  boxapp.profile("hello",
                 "[app]\ncommand = \"sh\"\nargs = [\"-c\", \"echo hello from the box; exec "
                 "sleep 60\"]\n");
  UnitDropIn dropin(boxapp, profile_dir_of(boxapp));
  Result installed = boxapp({"systemd", "install", "hello"});
  INFO(installed.err);
  REQUIRE(installed.status == 0);
  CHECK(contains(installed.out, "boxapp@hello.service: enabled"));
  const std::string link =
      boxrt::user_config_dir() + "/systemd/user/default.target.wants/boxapp@hello.service";
  CHECK(::access(link.c_str(), F_OK) == 0);
  // Type=notify: start returns once boxapp said READY=1, with the app running.
  CHECK(systemctl("start boxapp@hello.service") == "");
  CHECK(trimmed(systemctl("is-active boxapp@hello.service")) == "active");
  json boxes = json::parse(boxapp({"ps", "--json"}).out);
  REQUIRE(boxes.size() == 1);
  CHECK(boxes[0]["name"] == "hello");
  // The box's processes are the unit's: in a cgroup of their own inside the unit's.
  const std::string unit_cg =
      trimmed(systemctl("show -p ControlGroup --value boxapp@hello.service"));
  const std::string box_cg = cgroup_of(boxes[0]["pid"].get<int>());
  CHECK(box_cg.starts_with(unit_cg + "/"));
  // The session process serves every box: not the unit's, or stopping it would end them all.
  const std::string session =
      boxrt::read_file(std::string(std::getenv("XDG_RUNTIME_DIR")) + "/boxapp/session");
  const int session_pid = std::stoi(session);
  CHECK_FALSE(cgroup_of(session_pid).starts_with(unit_cg));
  for (int i = 0; i < 50 && !contains(boxrt::read_file(dropin.output()), "hello from the box"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(contains(boxrt::read_file(dropin.output()), "hello from the box"));

  // Stop: boxapp stop, then the unit's end; nothing of the box is left.
  CHECK(systemctl("stop boxapp@hello.service") == "");
  CHECK(trimmed(systemctl("is-active boxapp@hello.service")) != "active");
  CHECK(json::parse(boxapp({"ps", "-a", "--json"}).out).empty());
  CHECK(::access(Launcher::bundle_dir("hello").c_str(), F_OK) != 0);
  CHECK(is_alive(session_pid));
  CHECK(systemctl("show -p Result --value boxapp@hello.service") == "success\n");

  Result removed = boxapp({"systemd", "uninstall", "hello"});
  CHECK(removed.status == 0);
  CHECK(::access(link.c_str(), F_OK) != 0);
  Result again = boxapp({"systemd", "uninstall", "hello"});
  CHECK(again.status != 0);
  CHECK(contains(again.err, "boxapp@hello.service is not enabled"));
  Result bad = boxapp({"systemd", "install", "nosuchapp"});
  CHECK(bad.status != 0);
  CHECK(contains(bad.err, "nosuchapp"));
}

TEST_CASE("boxapp@APP.service with [app] sd_notify: ready when the app says so", "[systemd]") {
  if (!user_bus()) return;
  Launcher boxapp;
  // Ready a second in, through the socket the runtime gives the box (systemd-notify).
  boxapp.profile("notifier",
                 "[app]\ncommand = \"sh\"\nargs = [\"-c\", \"sleep 1; systemd-notify --ready; exec "
                 "sleep 60\"]\nsd_notify = true\n");
  boxapp.profile("plain", "[app]\ncommand = \"sh\"\nargs = [\"-c\", \"sleep 1; exec sleep 60\"]\n");
  UnitDropIn dropin(boxapp, profile_dir_of(boxapp));
  REQUIRE(boxapp({"systemd", "install", "notifier"}).status == 0);
  std::string out;
  const double notified = seconds_of([&] { out = systemctl("start boxapp@notifier.service"); });
  CHECK(out == "");
  CHECK(notified >= 0.9);
  CHECK(trimmed(systemctl("is-active boxapp@notifier.service")) == "active");
  // boxapp stays the unit's main process: the app's READY=1 came without its MAINPID.
  const std::string main_pid =
      trimmed(systemctl("show -p MainPID --value boxapp@notifier.service"));
  CHECK(contains(boxrt::read_file("/proc/" + main_pid + "/cmdline"), "boxapp"));
  // Without sd_notify, the same app is ready once it runs, not a second later.
  const double plain = seconds_of([&] { out = systemctl("start boxapp@plain.service"); });
  CHECK(out == "");
  CHECK(plain < 0.9);
  systemctl("stop boxapp@notifier.service boxapp@plain.service");
  boxapp({"systemd", "uninstall", "notifier"});
  CHECK(json::parse(boxapp({"ps", "-a", "--json"}).out).empty());
}
