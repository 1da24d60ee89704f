// The display through a real X server (Xvfb) started by the test as the unprivileged user,
// with authorization on: a box reaches it through its socket and a private Xauthority that
// holds that display's cookie and nothing else of the user's.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "harness.hpp"

using namespace itest;

namespace {

bool have(const char* path) {
  return ::access(path, X_OK) == 0;
}

// Xvfb on a free display number, requiring the cookie in `xauthority`.
class Xvfb {
 public:
  explicit Xvfb(const std::string& xauthority) {
    for (number_ = 90 + ::getpid() % 50; number_ < 200; ++number_)
      if (::access(socket().c_str(), F_OK) != 0 &&
          ::access(("/tmp/.X" + std::to_string(number_) + "-lock").c_str(), F_OK) != 0)
        break;
    const std::string display = ":" + std::to_string(number_);
    Result add = run_process({"/usr/bin/xauth", "-f", xauthority, "add", display, ".",
                              "0123456789abcdef0123456789abcdef"});
    REQUIRE(add.status == 0);
    pid_ = ::fork();
    if (pid_ == 0)
      exec_argv({"/usr/bin/Xvfb", display, "-auth", xauthority, "-nolisten", "tcp", "-screen", "0",
                 "640x480x24"});
    for (int i = 0; i < 100 && ::access(socket().c_str(), F_OK) != 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(::access(socket().c_str(), F_OK) == 0);
  }
  ~Xvfb() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  std::string display() const { return ":" + std::to_string(number_); }
  std::string socket() const { return "/tmp/.X11-unix/X" + std::to_string(number_); }

 private:
  int number_ = 0;
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("an X11 app in a box reaches the display with only that display's cookie") {
  if (!have("/usr/bin/Xvfb") || !have("/usr/bin/xauth") || !have("/usr/bin/xdpyinfo")) {
    WARN("not checked: Xvfb, xauth or xdpyinfo is not installed (scripts/setup)");
    return;
  }
  testing::TempDir home, profiles;
  ::chmod(profiles.path().c_str(), 0755);
  const std::string xauthority = home / "Xauthority";
  Xvfb x(xauthority);
  // Another cookie of the user's, for another display: the box must not get it.
  REQUIRE(run_process({"/usr/bin/xauth", "-f", xauthority, "add", ":999", ".",
                       "fedcba9876543210fedcba9876543210"})
              .status == 0);
  std::ofstream(profiles / "xclient.toml") << R"(# xclient: talks to the display
[app]
command = "/bin/sh"
args = ["-c", "xdpyinfo | grep -c '^name of display'; xauth -f $XAUTHORITY list | wc -l; xauth -f $XAUTHORITY list | grep -c 0123456789abcdef"]
[display]
mode = "x11"
)";
  std::ofstream(profiles / "blind.toml") << R"(# blind: no display
[app]
command = "/bin/sh"
args = ["-c", "echo display=$DISPLAY; ls /tmp/.X11-unix 2>/dev/null | wc -l"]
[display]
mode = "none"
)";
  auto boxapp = [&](const std::string& app) {
    return run_process({"/usr/bin/env", "HOME=" + home.path(), "XDG_RUNTIME_DIR=" + home.path(),
                        "DISPLAY=" + x.display(), "XAUTHORITY=" + xauthority,
                        "BOXAPP_PROFILE_PATH=" + profiles.path(), boxapp_bin(), app});
  };
  Result r = boxapp("xclient");
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "1\n1\n1\n");
  Result blind = boxapp("blind");
  CHECK(blind.out == "display=\n0\n");
}
