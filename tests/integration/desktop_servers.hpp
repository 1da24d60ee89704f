// Desktop servers the tests start as the unprivileged user: a PulseAudio daemon with a
// null sink, and Xvfb with authorization on.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace itest {

inline bool have(const char* path) {
  return ::access(path, X_OK) == 0;
}

// A PulseAudio daemon of the test's own: its XDG_RUNTIME_DIR and HOME are a temporary
// directory, where boxapp then runs too.
class PulseDaemon {
 public:
  explicit PulseDaemon(bool allow_modules = true) {
    std::vector<std::string> argv = env();
    for (const char* a : {"/usr/bin/pulseaudio", "-n", "--daemonize=yes", "--exit-idle-time=-1",
                          "--system=no", "--log-target=stderr", "-L", "module-native-protocol-unix",
                          "-L", "module-null-sink sink_name=boxtest"})
      argv.push_back(a);
    if (!allow_modules) argv.push_back("--disallow-module-loading=yes");
    Result r = run_process(argv);
    INFO(r.err);
    REQUIRE(r.status == 0);
  }
  ~PulseDaemon() {
    std::vector<std::string> argv = env();
    argv.push_back("/usr/bin/pulseaudio");
    argv.push_back("--kill");
    run_process(argv);
  }
  std::vector<std::string> env() const {
    return {"/usr/bin/env", "XDG_RUNTIME_DIR=" + dir_.path(), "HOME=" + dir_.path(),
            "PATH=/usr/bin:/bin"};
  }
  Result pactl(std::vector<std::string> args) const {
    std::vector<std::string> argv = env();
    argv.push_back("/usr/bin/pactl");
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
  }
  // The sockets the server offers boxes: module-native-protocol-unix lines naming bundles/.
  // After a box ends its socket goes within moments, not before boxapp returns: waits for
  // `want` of them, 3 s at most.
  std::vector<std::string> box_sockets(size_t want = 0) const {
    auto found = list_box_sockets();
    for (int i = 0; i < 60 && found.size() != want; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      found = list_box_sockets();
    }
    return found;
  }
  std::vector<std::string> list_box_sockets() const {
    std::vector<std::string> found;
    std::istringstream in(pactl({"list", "modules", "short"}).out);
    for (std::string line; std::getline(in, line);)
      if (contains(line, "module-native-protocol-unix") && contains(line, "/boxapp/bundles/"))
        found.push_back(line);
    return found;
  }
  const std::string& dir() const { return dir_.path(); }

 private:
  testing::TempDir dir_;
};

// Xvfb on a free display number, requiring the cookie in `xauthority`; or, given none, open
// to every local client.
class Xvfb {
 public:
  explicit Xvfb(const std::string& xauthority) {
    for (number_ = 90 + ::getpid() % 50; number_ < 200; ++number_)
      if (::access(socket().c_str(), F_OK) != 0 &&
          ::access(("/tmp/.X" + std::to_string(number_) + "-lock").c_str(), F_OK) != 0)
        break;
    const std::string display = ":" + std::to_string(number_);
    if (!xauthority.empty()) {
      Result add = run_process({"/usr/bin/xauth", "-f", xauthority, "add", display, ".",
                                "0123456789abcdef0123456789abcdef"});
      REQUIRE(add.status == 0);
    }
    std::vector<std::string> argv = {"/usr/bin/Xvfb", display, "-nolisten", "tcp",
                                     "-screen",       "0",     "640x480x24"};
    if (!xauthority.empty()) argv.insert(argv.begin() + 2, {"-auth", xauthority});
    pid_ = ::fork();
    if (pid_ == 0) exec_argv(argv);
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

}  // namespace itest
