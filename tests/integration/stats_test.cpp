// boxapp stats: a busy box's CPU, memory and network, sampled as docker stats shows them.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "harness.hpp"
#include "launcher_harness.hpp"

using namespace itest;

namespace {

json sample_of(const Launcher& boxapp, const std::string& name) {
  Result r = boxapp({"stats", "--no-stream", "--json", "--interval", "0.5", name});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const json rows = json::parse(r.out);
  REQUIRE(rows.size() == 1);
  return rows[0];
}

}  // namespace

TEST_CASE("stats --no-stream --json: a busy box's CPU and memory, and its network moving") {
  Launcher boxapp;
  // A core's worth of work, on the bridge (its own network namespace, eth0).
  boxapp.profile("busy",
                 "[app]\ncommand = \"sh\"\nargs = [\"-c\", \"while :; do :; done\"]\n"
                 "[network]\nmode = \"bridge\"\n");
  REQUIRE(boxapp({"run", "-d", "busy"}).status == 0);
  const json first = sample_of(boxapp, "busy");
  CHECK(first["name"] == "busy");
  CHECK(first["cpu_percent"].get<double>() > 20);
  CHECK(first["memory"]["usage"].get<uint64_t>() > 0);
  CHECK(first["pids"]["current"].get<uint64_t>() >= 1);
  REQUIRE(first["net"].is_object());
  // Traffic the box sends: pings to the bridge's gateway, in namespaces the test made.
  Result ping = boxapp({"exec", "busy", "ping", "-c", "5", "-i", "0.2", "-W", "2", "10.89.0.1"});
  CHECK(ping.status == 0);
  const json second = sample_of(boxapp, "busy");
  CHECK(second["net"]["tx"].get<uint64_t>() >= first["net"]["tx"].get<uint64_t>() + 5 * 84);
  CHECK(second["net"]["rx"].get<uint64_t>() > first["net"]["rx"].get<uint64_t>());

  // The table, as a pipe gets it: a header and the box's row.
  Result table = boxapp({"stats", "--no-stream", "--interval", "0.2"});
  CHECK(contains(table.out, "NAME"));
  CHECK(contains(table.out, "MEM USAGE / LIMIT"));
  CHECK(contains(table.out, "\nbusy "));
  // Streaming: a JSON line per interval until stopped.
  std::vector<std::string> argv = {"/usr/bin/timeout", "1.1"};
  for (const auto& a : boxapp.command({"stats", "--json", "--interval", "0.2"}))
    argv.push_back(a);
  Result stream = run_process(argv, "", 5);
  CHECK(std::count(stream.out.begin(), stream.out.end(), '\n') >= 3);
  Result missing = boxapp({"stats", "--no-stream", "nosuchbox"});
  CHECK(missing.status != 0);
  CHECK(contains(missing.err, "no running box `nosuchbox`"));
  CHECK(boxapp({"rm", "-f", "-t", "1", "busy"}).status == 0);
}
