// Real documents in, the same documents out: every field the model knows, and every field it
// doesn't, survives parse → serialise.
#include <dirent.h>

#include <catch2/catch.hpp>

#include "oci/spec.hpp"
#include "oci/spec_error.hpp"
#include "test_support.hpp"
#include "util/sys.hpp"

using nlohmann::json;

namespace {

json load_json(const std::string& path) {
  return json::parse(boxrt::read_file(path));
}

// Parses, serialises, and re-parses; both the JSON and the typed model must be unchanged.
oci::Spec require_round_trip(const json& original) {
  oci::Spec spec = oci::spec_from_json(original);
  json again = oci::spec_to_json(spec);
  CHECK(again == original);
  if (again != original) INFO(json::diff(original, again).dump(2));
  CHECK(oci::spec_from_json(again) == spec);
  return spec;
}

std::vector<std::string> json_files(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (auto* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > 5 && name.substr(name.size() - 5) == ".json")
        out.push_back(dir + "/" + name);
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("a document using every modelled field round-trips and reads back typed") {
  json doc = load_json(testing::test_data("specs/every-field.json"));
  oci::Spec spec = require_round_trip(doc);

  REQUIRE(spec.process);
  const auto& p = *spec.process;
  CHECK(p.terminal == true);
  CHECK(p.console_size->width == 80);
  CHECK(p.user->additional_gids == std::vector<uint32_t>{5, 6, 29});
  CHECK(p.user->umask == 18u);
  CHECK(p.rlimits->at(1).hard == UINT64_MAX);
  CHECK(p.io_priority->io_class == "IOPRIO_CLASS_BE");
  CHECK(p.scheduler->flags->at(0) == "SCHED_FLAG_RESET_ON_FORK");
  CHECK(spec.root->readonly == true);
  CHECK(spec.mounts->at(2).uid_mappings->at(0).host_id == 1000u);
  CHECK(spec.hooks->prestart->at(0).timeout == 5);
  CHECK(spec.hooks->poststop->at(0).args->at(1) == "detach");

  REQUIRE(spec.linux);
  const auto& l = *spec.linux;
  CHECK(l.namespaces->size() == 8);
  CHECK(l.namespaces->at(7).path == "/run/user/1000/netns/box0");
  CHECK(l.uid_mappings->at(1).container_id == 1000u);
  CHECK(l.time_offsets->monotonic->secs == -3);
  CHECK(l.devices->at(0).gid == 29u);
  CHECK(l.net_devices->at("eth1").name == "box_eth1");
  CHECK(l.resources->memory->swap == -1);
  CHECK(l.resources->cpu->cpus == "0-1");
  CHECK(l.resources->pids->limit == 512);
  CHECK(l.resources->block_io->throttle_write_iops_device->at(0).rate == 500u);
  CHECK(l.resources->hugepage_limits->at(0).page_size == "2MB");
  CHECK(l.resources->rdma->at("mlx5_1").hca_objects == 10000u);
  CHECK(l.resources->unified->at("io.weight") == "default 100");
  CHECK(l.seccomp->syscalls->at(1).args->at(1).value_two == 8u);
  CHECK(l.seccomp->default_errno_ret == 38u);
  CHECK(l.sysctl->at("net.ipv4.ip_forward") == "1");
  CHECK(l.personality->domain == "LINUX");
  CHECK(l.intel_rdt->at("closID") == "guaranteed_group");
  CHECK(spec.extra.is_null());
}

TEST_CASE("unknown fields at every level survive a round trip") {
  json doc = load_json(testing::test_data("specs/extensions.json"));
  oci::Spec spec = require_round_trip(doc);
  CHECK(spec.extra.contains("vm"));
  CHECK(spec.extra.contains("x-engine-extension"));
  CHECK(spec.process->extra.contains("commandLine"));
  CHECK(spec.process->user->extra["x-user"]["nested"][2].contains("deep"));
  CHECK(spec.linux->extra.contains("memoryPolicy"));
  CHECK(spec.linux->resources->extra.contains("x-newController"));
  CHECK(spec.hooks->extra.contains("x-newHookKind"));
  CHECK(spec.linux->seccomp->syscalls->at(0).extra["x-rule"] == 0);
}

TEST_CASE("absent and empty members stay as they were") {
  json doc = {{"ociVersion", "1.0.0"},
              {"process", {{"cwd", "/"}, {"env", json::array()}, {"terminal", false}}},
              {"linux", {{"namespaces", json::array()}}}};
  oci::Spec spec = require_round_trip(doc);
  CHECK(spec.process->env->empty());
  CHECK_FALSE(spec.process->args.has_value());
  CHECK_FALSE(spec.mounts.has_value());
}

TEST_CASE("configs printed by runc spec, runc spec --rootless and crun spec round-trip") {
  struct Tool {
    const char* name;
    const char* command;
  };
  for (Tool t : {Tool{"runc", "runc spec"}, Tool{"runc", "runc spec --rootless"},
                 Tool{"crun", "crun spec"}, Tool{"crun", "crun spec --rootless"}}) {
    DYNAMIC_SECTION(t.command) {
      if (!testing::has_program(t.name)) {
        WARN(std::string("not checked: ") + t.name +
             " is not installed (scripts/setup installs it)");
        continue;
      }
      testing::TempDir dir;
      auto r = testing::run_shell("cd '" + dir.path() + "' && " + t.command);
      REQUIRE(r.status == 0);
      json doc = load_json(dir / "config.json");
      oci::Spec spec = require_round_trip(doc);
      CHECK(spec.process->args == std::vector<std::string>{"sh"});
      CHECK_FALSE(spec.linux->namespaces->empty());
      CHECK_FALSE(oci::items(spec.mounts).empty());
    }
  }
}

TEST_CASE("the runtime-spec's own good examples parse, round-trip and stay schema-valid") {
  auto dir = testing::oci_schema_dir();
  if (!testing::oci_schema_has("test/config/good")) {
    WARN(testing::oci_schema_lacks("test/config/good"));
    return;
  }
  auto files = json_files(*dir + "/test/config/good");
  REQUIRE(files.size() >= 5);
  for (const auto& f : files) {
    DYNAMIC_SECTION(f) {
      json doc = load_json(f);
      oci::Spec spec = require_round_trip(doc);
      CHECK(testing::schema_errors(oci::spec_to_json(spec)) == std::nullopt);
    }
  }
}

TEST_CASE("our own test documents are schema-valid after a round trip") {
  for (const char* name : {"specs/every-field.json", "specs/extensions.json"}) {
    DYNAMIC_SECTION(name) {
      oci::Spec spec = oci::spec_from_json(load_json(testing::test_data(name)));
      json doc = oci::spec_to_json(spec);
      // Schemas older than runtime-spec 1.2 (Debian's) don't know the time namespace yet:
      // everything else in the document is still checked against them.
      if (!testing::oci_schema_has("features-schema.json")) {
        WARN(testing::oci_schema_lacks("features-schema.json") + ": the time namespace");
        auto& nss = doc["linux"]["namespaces"];
        for (auto it = nss.begin(); it != nss.end();)
          it = (*it)["type"] == "time" ? nss.erase(it) : it + 1;
      }
      CHECK(testing::schema_errors(doc) == std::nullopt);
    }
  }
}

TEST_CASE("the runtime-spec's bad Linux examples are rejected with the member's path") {
  auto dir = testing::oci_schema_dir();
  if (!testing::oci_schema_has("test/config/bad")) {
    WARN(testing::oci_schema_lacks("test/config/bad"));
    return;
  }
  const std::string bad = *dir + "/test/config/bad/";
  auto reject = [&](const std::string& file) {
    try {
      oci::load_spec(bad + file);
    } catch (const boxrt::Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(reject("linux-hugepage.json") ==
        bad +
            "linux-hugepage.json: linux.resources.hugepageLimits[0].pageSize: must look like 2MB "
            "or 1GB, not \"64kB\"");
  CHECK(reject("linux-netdevice.json") ==
        bad + "linux-netdevice.json: linux.netDevices.eth0.name: must be a string, not 23");
  CHECK(reject("linux-rdma.json") ==
        bad +
            "linux-rdma.json: linux.resources.rdma.mlx5_1.hcaHandles: must be an integer from 0 "
            "to 4294967295, not \"not a uint32\"");
  CHECK(reject("invalid-json.json") ==
        bad +
            "invalid-json.json:1:2: invalid JSON: syntax error while parsing object key - "
            "unexpected ']'; expected string literal");
}

TEST_CASE("dump_spec writes indented JSON that parses back to the same spec") {
  oci::Spec spec = oci::spec_from_json(load_json(testing::test_data("specs/every-field.json")));
  std::string text = oci::dump_spec(spec);
  CHECK(text.back() == '\n');
  CHECK(text.find("\n  \"linux\"") != std::string::npos);
  CHECK(oci::parse_spec(text) == spec);
  json via_adl = spec;
  CHECK(via_adl.get<oci::Spec>() == spec);
}
