// `boxapp spec APP --bundle DIR` promises a bundle that runc and crun run as they are, as the
// user who exported it, and that prints what `boxapp run APP` prints.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "harness.hpp"
#include "util/sys.hpp"

using namespace itest;

TEST_CASE("an exported bundle runs under runc, crun and ours, and prints what boxapp prints") {
  const std::string runc = boxrt::find_on_path("runc"), crun = boxrt::find_on_path("crun");
  testing::TempDir profiles, data, out, state;
  ::chmod(profiles.path().c_str(), 0755);
  ::mkdir((data / "share").c_str(), 0700);
  std::ofstream(profiles / "exported.toml") << R"([app]
description = "exported"
command = "/bin/sh"
args = ["-c", "echo $(hostname) $HOME; touch $HOME/f && echo wrote; test -r /etc/os-release && echo etc"]
)";
  auto boxapp = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {"/usr/bin/env", "BOXAPP_PROFILE_PATH=" + profiles.path(),
                                     "XDG_DATA_HOME=" + data / "share", boxapp_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
  };
  Result boxed = boxapp({"run", "exported"});
  INFO(boxed.err);
  REQUIRE(boxed.status == 0);
  CHECK(boxed.out == "exported " + std::string(std::getenv("HOME")) + "\nwrote\netc\n");

  const std::string bundle = out / "bundle";
  Result exported = boxapp({"spec", "exported", "--bundle", bundle});
  INFO(exported.err);
  REQUIRE(exported.status == 0);
  json spec = json::parse(boxrt::read_file(bundle + "/config.json"));
  // The oldest version that has every field it uses: crun 1.8 refuses 1.2.0.
  CHECK(spec["ociVersion"] == "1.0.2");
  // Container root is the user (runc chowns its fifo and pipes to it).
  CHECK(spec["linux"]["uidMappings"] ==
        json::array({{{"containerID", 0}, {"hostID", own_uid()}, {"size", 1}}}));

  std::vector<std::pair<std::string, std::vector<std::string>>> runtimes = {
      {"boxapp-runtime", {runtime_bin(), "--root", state / "ours", "run", "-b", bundle, "x1"}}};
  if (!runc.empty())
    runtimes.push_back({"runc", {runc, "--root", state / "runc", "run", "-b", bundle, "x2"}});
  if (!crun.empty())
    runtimes.push_back({"crun", {crun, "--root", state / "crun", "run", "-b", bundle, "x3"}});
  if (runc.empty() || crun.empty())
    WARN("not checked under runc or crun: install them (scripts/setup does)");
  for (const auto& [name, argv] : runtimes) {
    INFO(name);
    Result r = run_process(argv);
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.out == boxed.out);
  }
}
