// Many runtime processes at once: state is never corrupted and every id has one owner.
#include <catch2/catch.hpp>
#include <future>

#include "harness.hpp"

using namespace itest;

TEST_CASE("20 parallel runs with distinct ids all succeed") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"echo", "ok"};
  b.write();
  std::vector<std::future<Result>> runs;
  for (int i = 0; i < 20; ++i)
    runs.push_back(std::async(std::launch::async, [&, i] {
      return rt({"run", "-b", b.path(), "par" + std::to_string(i)});
    }));
  int ok = 0;
  for (auto& f : runs) {
    Result r = f.get();
    INFO(r.err);
    ok += r.status == 0 && r.out == "ok\n";
  }
  CHECK(ok == 20);
  CHECK(rt.leftovers().empty());
}

TEST_CASE("two creates of one id: exactly one wins") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  for (int round = 0; round < 5; ++round) {
    auto a = std::async(std::launch::async, [&] { return rt({"create", "-b", b.path(), "race"}); });
    auto c = std::async(std::launch::async, [&] { return rt({"create", "-b", b.path(), "race"}); });
    Result ra = a.get(), rc = c.get();
    CHECK((ra.status == 0) + (rc.status == 0) == 1);
    const Result& loser = ra.status == 0 ? rc : ra;
    // Seen once in a CI rehearsal: a loser with an empty stderr. Its status tells a signal
    // (or the harness's timeout) from an exit, next time.
    INFO("loser's status " << loser.status << ", stdout " << loser.out);
    CHECK(loser.err == "boxapp-runtime: container `race` already exists\n");
    CHECK(json::parse(rt({"state", "race"}).out)["status"] == "created");
    REQUIRE(rt({"delete", "-f", "race"}).status == 0);
  }
}

TEST_CASE("10 parallel delete -f of one id all succeed and remove it once") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "victim"}).status == 0);
  int pid = init_pid(rt, "victim");
  std::vector<std::future<Result>> dels;
  for (int i = 0; i < 10; ++i)
    dels.push_back(std::async(std::launch::async, [&] { return rt({"delete", "-f", "victim"}); }));
  for (auto& f : dels) {
    Result r = f.get();
    INFO(r.err);
    CHECK(r.status == 0);
  }
  CHECK(rt.leftovers().empty());
  CHECK_FALSE(is_alive(pid));
  CHECK(rt({"state", "victim"}).err.find("does not exist") != std::string::npos);
}
