// One box per app, or per APP@INSTANCE: a second run hands its arguments to the running box;
// instances have homes, machine-ids and hostnames of their own; no two running boxes share
// a persistent home.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "harness.hpp"
#include "launcher_harness.hpp"
#include "util/sys.hpp"

using namespace itest;

namespace {

// Records each start in the box's /tmp, then stays.
const char* kRecorder = R"([app]
command = "/bin/sh"
args = ["-c", "echo first >> /tmp/calls; exec sleep 60"]
[home]
mode = "persist"
)";

// Several boxes allowed, but one persistent home.
const char* kMany = R"([app]
command = "sleep"
args = ["60"]
single_instance = false
[home]
mode = "persist"
)";

}  // namespace

TEST_CASE("a second `boxapp APP ARGS` hands the arguments to the running box and returns") {
  Launcher boxapp;
  boxapp.profile("recorder", kRecorder);
  REQUIRE(boxapp({"run", "-d", "recorder"}).status == 0);
  auto t0 = std::chrono::steady_clock::now();
  Result again = boxapp({"recorder", "--", "-c", "echo second $(hostname) >> /tmp/calls"});
  CHECK(again.status == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(boxapp({"exec", "recorder", "cat", "/tmp/calls"}).out == "first\nsecond recorder\n");
  // Still one box.
  CHECK(json::parse(boxapp({"ps", "--json"}).out).size() == 1);
  boxapp({"rm", "-f", "recorder"});
}

TEST_CASE("instances: APP@NAME and --instance get a home, machine-id and hostname of their own") {
  Launcher boxapp;
  boxapp.profile("recorder", kRecorder);
  REQUIRE(boxapp({"run", "-d", "recorder"}).status == 0);
  Result work = boxapp({"run", "-d", "--instance", "work", "recorder"});
  REQUIRE(work.status == 0);
  CHECK(work.out == "recorder@work\n");
  Result home2 = boxapp({"run", "-d", "recorder@home2"});
  REQUIRE(home2.status == 0);
  CHECK(home2.out == "recorder@home2\n");
  json ps = json::parse(boxapp({"ps", "--json"}).out);
  REQUIRE(ps.size() == 3);
  CHECK(ps[0]["name"] == "recorder");
  CHECK(ps[1]["name"] == "recorder@home2");
  CHECK(ps[2]["name"] == "recorder@work");
  CHECK(ps[2]["app"] == "recorder");
  // Each its own persistent home, where the app's files stay.
  CHECK(boxapp({"exec", "recorder@work", "sh", "-c", "echo mine > $HOME/file"}).status == 0);
  CHECK(boxrt::read_file(boxapp.data_home() + "/boxapp/recorder@work/home/file") == "mine\n");
  CHECK(!boxrt::path_exists(boxapp.data_home() + "/boxapp/recorder/home/file"));
  CHECK(boxapp({"exec", "recorder@work", "hostname"}).out == "recorder-work\n");
  const std::string id_default = boxapp({"exec", "recorder", "cat", "/etc/machine-id"}).out;
  const std::string id_work = boxapp({"exec", "recorder@work", "cat", "/etc/machine-id"}).out;
  CHECK(id_default.size() == 33);
  CHECK(id_work.size() == 33);
  CHECK(id_default != id_work);
  // The instance's own logs, stop and rm.
  CHECK(boxapp({"stop", "recorder@work", "recorder@home2"}).status == 0);
  CHECK(boxapp({"rm", "recorder@work", "recorder@home2"}).status == 0);
  CHECK(json::parse(boxapp({"ps", "-a", "--json"}).out).size() == 1);
  Result bad = boxapp({"run", "recorder@no/pe"});
  CHECK(bad.status == 1);
  boxapp({"rm", "-f", "recorder"});
}

TEST_CASE("a second box on a persistent home in use is refused, and leaves nothing") {
  Launcher boxapp;
  boxapp.profile("many", kMany);
  REQUIRE(boxapp({"run", "-d", "many"}).status == 0);
  Result second = boxapp({"run", "-d", "many"});
  CHECK(second.status == 1);
  CHECK(second.err == "boxapp: box `many` uses the home " + boxapp.data_home() +
                          "/boxapp/many/home already: a second box of it needs an instance of "
                          "its own (boxapp run --instance NAME many), or stop `many` first (box "
                          "`many-2` not started)\n");
  CHECK(json::parse(boxapp({"ps", "-a", "--json"}).out).size() == 1);
  CHECK(!boxrt::path_exists(boxapp.bundle_dir("many-2")));
  // Another instance is fine.
  CHECK(boxapp({"run", "-d", "many@two"}).status == 0);
  boxapp({"rm", "-f", "many", "many@two"});
}

TEST_CASE("two boxes started at once on one persistent home: one runs, one is refused") {
  Launcher boxapp;
  boxapp.profile("many", kMany);
  for (int round = 0; round < 3; ++round) {
    Result a, b;
    std::thread other([&] { b = boxapp({"run", "-d", "--name", "b", "many"}); });
    a = boxapp({"run", "-d", "--name", "a", "many"});
    other.join();
    INFO(a.err << b.err);
    CHECK((a.status == 0) != (b.status == 0));
    CHECK(contains(a.err + b.err, "already: a second box of it needs an instance of its own"));
    CHECK(json::parse(boxapp({"ps", "--json"}).out).size() == 1);
    boxapp({"rm", "-f", "a", "b"});
    boxapp({"rm", "-f", "a"});
    boxapp({"rm", "-f", "b"});
  }
}
