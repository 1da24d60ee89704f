// boxapp as the tests run it: a profile directory of the test's own and a private data home.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace itest {

// A profile directory of the test's own, and boxapp run against it with a private data home.
class Launcher {
 public:
  Launcher() {
    ::chmod(dir_.path().c_str(), 0755);
    ::mkdir((data_ / "share").c_str(), 0700);
  }
  void profile(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / (name + ".toml")) << text;
  }
  std::string file(const std::string& name) const { return dir_ / (name + ".toml"); }
  // A fragment as shipped, for this test's profiles to include.
  void fragment(const std::string& name) const {
    ::mkdir((dir_ / "fragments").c_str(), 0755);
    std::ofstream(dir_ / ("fragments/" + name + ".toml"))
        << std::ifstream(shipped_profiles_dir() + "/fragments/" + name + ".toml").rdbuf();
  }
  std::vector<std::string> command(std::vector<std::string> args) const {
    std::vector<std::string> argv = {"/usr/bin/env", "BOXAPP_PROFILE_PATH=" + dir_.path(),
                                     "XDG_DATA_HOME=" + data_ / "share"};
    argv.insert(argv.end(), env_.begin(), env_.end());
    argv.push_back(boxapp_bin());
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  Result operator()(std::vector<std::string> args, int timeout_s = 30) const {
    return run_process(command(std::move(args)), "", timeout_s);
  }
  std::string data_home() const { return data_ / "share"; }
  // NAME=VALUE in the environment of every boxapp this runs.
  void env(std::string assignment) { env_.push_back(std::move(assignment)); }
  // Where boxapp keeps a box's bundle (under the test's XDG_RUNTIME_DIR).
  static std::string bundle_dir(const std::string& box) {
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    return std::string(xdg ? xdg : "/nonexistent") + "/boxapp/bundles/" + box;
  }

 private:
  testing::TempDir dir_, data_;
  std::vector<std::string> env_;
};

}  // namespace itest
