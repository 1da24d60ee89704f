// A user without /etc/subuid and /etc/subgid ranges: the session maps only the user's own
// uid and gid (docs/design.md), and containers still run with those. scripts/test runs these as
// such a user ("boxtestns"); for anyone with ranges they are skipped with a warning.
#include <unistd.h>

#include <catch2/catch.hpp>

#include "harness.hpp"
#include "launcher_harness.hpp"
#include "ns/idmap.hpp"
#include "util/sys.hpp"

using namespace itest;

namespace {

// True (with a warning) when this user has ranges, so the [nosubid] cases don't apply.
bool has_subids() {
  const char* user = ::getenv("USER");
  if (!boxrt::subordinate_range("/etc/subuid", user ? user : "", own_uid())) return false;
  WARN("not checked: this user has an /etc/subuid range (scripts/test runs it as boxtestns)");
  return true;
}

}  // namespace

TEST_CASE("without subordinate ids, the session maps the user's own ids and boxes run",
          "[nosubid]") {
  if (has_subids()) return;
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  REQUIRE(rt({"run", "-d", "-b", b.path(), "single"}).status == 0);
  const std::string proc = "/proc/" + std::to_string(init_pid(rt, "single"));
  CHECK(boxrt::parse_id_map(boxrt::read_file(proc + "/uid_map")) ==
        std::vector<boxrt::IdRange>{{0, own_uid(), 1}});
  CHECK(boxrt::parse_id_map(boxrt::read_file(proc + "/gid_map")) ==
        std::vector<boxrt::IdRange>{{0, own_gid(), 1}});
  Result r = rt({"exec", "single", "/bin/box-probe"});
  REQUIRE(r.status == 0);
  CHECK(probe_report(r)["uid"] == 0);
  rt({"delete", "-f", "single"});
}

TEST_CASE("without subordinate ids, other host ids and supplementary groups are refused",
          "[nosubid]") {
  if (has_subids()) return;
  Runtime rt;
  Bundle b;
  b.spec.linux->uid_mappings->push_back({1, 100000, 10, {}});
  b.write();
  Result r = rt({"run", "-b", b.path(), "wide"});
  CHECK(r.status == 1);
  CHECK(r.err ==
        "boxapp-runtime: linux.uidMappings[1]: host uid 100000 is not yours to map (not your "
        "own id and not in your /etc/subuid range)\n");

  Bundle g;
  g.spec.process->user->additional_gids = std::vector<uint32_t>{0};
  g.write();
  Result rg = rt({"run", "-b", g.path(), "groups"});
  CHECK(rg.status == 1);
  CHECK(rg.err ==
        "boxapp-runtime: process.user.additionalGids: setgroups is denied in this user namespace "
        "(it was mapped without newgidmap: install uidmap and get an /etc/subgid range)\n");
  CHECK(rt.leftovers().empty());
}

// scripts/test runs these outside any delegated cgroup.
TEST_CASE("no delegated cgroup: the warning names the user's own uid, doctor a fix that works here",
          "[nosubid]") {
  if (has_subids()) return;
  Launcher boxapp;
  boxapp.profile("limited", "[app]\ncommand = \"true\"\n[resources]\nmemory = \"64M\"\n");
  Result r = boxapp({"run", "limited"});
  CHECK(r.status == 0);
  INFO(r.err);
  // Not uid 0, as the session's user namespace sees us.
  CHECK(contains(r.err, "is delegated to uid " + std::to_string(own_uid())));
  Result doctor = boxapp({"doctor"});
  if (boxrt::path_exists("/run/systemd/system"))
    CHECK(contains(doctor.out, "systemd-run --user --scope -p Delegate=yes"));
  else
    CHECK(contains(doctor.out, "this machine runs no systemd: as root, mkdir /sys/fs/cgroup/user-" +
                                   std::to_string(own_uid())));
}

TEST_CASE(
    "without subordinate ids, an image of other owners and a Debian build are refused "
    "with the reason, and nothing is stored",
    "[nosubid]") {
  if (has_subids()) return;
  Launcher boxapp;
  testing::TempDir work;
  const char* stage = std::getenv("BOXAPP_STAGE");
  REQUIRE(stage);
  // The test image has files owned by 0:0 and 1000:1000 (tests/data/images/make_layout.py).
  Result made =
      run_process({"/usr/bin/python3", std::string(stage) + "/make_layout.py", work / "layout"});
  REQUIRE(made.status == 0);
  boxapp.profile("img", "[app]\n[image]\ntype = \"oci\"\nlayout = \"" + work / "layout" + "\"\n");
  Result r = boxapp({"run", "img"});
  CHECK(r.status != 0);
  INFO(r.err);
  CHECK(contains(r.err, "only (the user's range in /etc/subuid"));
  const std::string store = boxapp.data_home() + "/boxapp/images";
  CHECK(run_process({"/bin/sh", "-c",
                     "find " + store + "/records " + store + "/layers/sha256 " + store +
                         "/tmp -mindepth 1 2>/dev/null"})
            .out.empty());

  boxapp.profile("deb",
                 "[app]\ncommand = \"true\"\n[image]\ntype = \"debian\"\nsuite = "
                 "\"bookworm\"\nmirror = \"http://127.0.0.1:9/debian\"\n");
  Result d = boxapp({"image", "build", "deb"});
  CHECK(d.status != 0);
  CHECK(contains(d.err, "a Debian build needs a subordinate id range"));
}
