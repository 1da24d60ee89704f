// --systemd-cgroup: the container's cgroup is a transient scope of the user's systemd
// manager. The [systemd] tests need that manager: scripts/test runs them under
// scripts/with-delegated-cgroup --systemd-user. The fallback without one runs anywhere.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "harness.hpp"
#include "launcher_harness.hpp"
#include "util/sys.hpp"

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
