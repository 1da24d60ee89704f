#include "oci/state.hpp"

#include <catch2/catch.hpp>

#include "oci/spec_error.hpp"
#include "test_support.hpp"

using nlohmann::json;

TEST_CASE("a runc-style state document round-trips with its extra fields") {
  json doc = {{"ociVersion", "1.2.0"},
              {"id", "web"},
              {"pid", 4242},
              {"status", "running"},
              {"bundle", "/home/u/bundles/web"},
              {"rootfs", "/home/u/bundles/web/rootfs"},
              {"created", "2026-11-22T19:23:17.123456789Z"},
              {"owner", ""},
              {"annotations", {{"org.boxapp.app", "chrome"}}}};
  oci::State s = oci::state_from_json(doc);
  CHECK(s.status == oci::Status::running);
  CHECK(s.pid == 4242);
  CHECK(s.extra["created"] == "2026-11-22T19:23:17.123456789Z");
  CHECK(oci::state_to_json(s) == doc);
  CHECK(testing::schema_errors(oci::state_to_json(s), "state-schema.json") == std::nullopt);
}

TEST_CASE("state documents are validated") {
  json doc = {{"ociVersion", "1.2.0"}, {"id", "a"}, {"status", "created"}, {"bundle", "/b"}};
  CHECK_THROWS_WITH(oci::state_from_json(doc), "pid: is required when status is created");
  doc["status"] = "frozen";
  CHECK_THROWS_WITH(
      oci::state_from_json(doc),
      "status: must be one of creating, created, running, stopped, paused, not \"frozen\"");
  doc["status"] = "stopped";
  CHECK(oci::state_from_json(doc).pid == std::nullopt);
  doc["pid"] = -5;
  CHECK_THROWS_WITH(oci::state_from_json(doc), "pid: must be >= 0");
}

TEST_CASE("status names convert both ways") {
  for (auto s : {oci::Status::creating, oci::Status::created, oci::Status::running,
                 oci::Status::stopped, oci::Status::paused})
    CHECK(oci::status_from_string(oci::to_string(s)) == s);
  CHECK(oci::status_from_string("frozen") == std::nullopt);
}
