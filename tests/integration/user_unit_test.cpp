// boxapp@.service against a real systemd user manager (scripts/test starts one for the
// [systemd] tests): ready when the app runs or says so, the box in the unit's cgroup, its
// output the unit's, stopped through boxapp stop with nothing left.
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

bool user_manager() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (xdg && ::access((std::string(xdg) + "/systemd/private").c_str(), F_OK) == 0) return true;
  WARN("no systemd user manager: run through scripts/test as root");
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

TEST_CASE(
    "boxapp@APP.service: ready once the app runs, the box in the unit's cgroup, its "
    "output the unit's, stopped through boxapp stop with nothing left",
    "[systemd]") {
  if (!user_manager()) return;
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
  if (!user_manager()) return;
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
