// [dbus] as data: names and rules checked as D-Bus and xdg-dbus-proxy spell them, the
// proxy's arguments made of a profile, the box's bus in its spec (a proxy's directory, the
// session's socket itself, or nothing), and fragments whose grants add up.
#include <catch2/catch.hpp>
#include <fstream>

#include "compile/compile.hpp"
#include "dbus/bus_proxy.hpp"
#include "profile/dbus_policy.hpp"
#include "profile_support.hpp"
#include "test_support.hpp"
#include "util/sys.hpp"

using namespace boxapp;
using testing::TempDir;

namespace {

// The profile tests' host, with a session and a system bus.
HostFacts host_with_bus() {
  HostFacts h = testing::test_host();
  h.session_bus = "unix:path=/run/user/1000/bus";
  h.session_bus_tried = h.session_bus;
  h.session_bus_path = "/run/user/1000/bus";
  h.system_bus = "unix:path=/run/dbus/system_bus_socket";
  return h;
}

const oci::Mount* mount_at(const oci::Spec& s, const std::string& dest) {
  for (const auto& m : *s.mounts)
    if (m.destination == dest) return &m;
  return nullptr;
}

bool has_env(const oci::Spec& s, const std::string& prefix) {
  for (const auto& e : *s.process->env)
    if (e.rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace

TEST_CASE("bus names and rules are checked as D-Bus spells them, with xdg-dbus-proxy's .*") {
  for (const char* good : {"org.freedesktop.Notifications", "org.mpris.MediaPlayer2.vlc",
                           "org.example.*", "org.*", "com.example.my-app", "org.mpris.${APP}.*"})
    CHECK(bus_name_problem(good).empty());
  CHECK(bus_name_problem("org") == "needs at least two elements (org.example)");
  CHECK(bus_name_problem("org..example") == "has an empty element");
  CHECK(bus_name_problem("org.2example") == "has an element starting with a digit");
  CHECK(bus_name_problem("org.ex ample") == "has ` `, which names can't hold");
  CHECK(bus_name_problem("org.*.x") == "has a `*` that isn't a final `.*`");
  CHECK(bus_name_problem(std::string(300, 'a') + ".b") == "is longer than 255 characters");

  for (const char* good :
       {"org.freedesktop.Notifications=org.freedesktop.Notifications.*@/org/freedesktop/"
        "Notifications",
        "org.example.A=*", "org.example.A=@/org/example/*", "org.example.A=org.example.I.Method"})
    CHECK(bus_rule_problem(good).empty());
  CHECK(bus_rule_problem("org.example.A") == "is no NAME=RULE (NAME=[METHOD][@PATH])");
  CHECK(bus_rule_problem("org.example.A=") == "has an empty RULE");
  CHECK(bus_rule_problem("org=*") ==
        "names a bus name that needs at least two elements (org.example)");
  CHECK(bus_rule_problem("org.example.A=org.ex-ample.I") ==
        "has a METHOD that has `-`, which names can't hold");
  CHECK(bus_rule_problem("org.example.A=@org/example") == "has a PATH that doesn't start with /");
  CHECK(bus_rule_problem("org.example.A=@/org//x") == "has a PATH with an empty element");
}

TEST_CASE("a filtered bus: the proxy's rules, and the box's spec points at its directory") {
  const Profile p = parse_profile(
      "[app]\ncommand = \"true\"\n[dbus]\nsession = \"filter\"\ntalk = [\"org.example.A\"]\n"
      "own = [\"org.mpris.MediaPlayer2.${APP}.*\"]\nsee = [\"org.example.S\"]\n"
      "call = [\"org.example.C=org.example.C.Get@/c\"]\nbroadcast = [\"org.example.B=*\"]\n"
      "system = \"filter\"\nsystem_talk = [\"org.freedesktop.UPower\"]\n",
      "player.toml");
  const HostFacts h = host_with_bus();
  CHECK(bus_proxy_args(p, h, "/box") ==
        std::vector<std::string>{
            "unix:path=/run/user/1000/bus", "/box/dbus/bus", "--filter", "--see=org.example.S",
            "--talk=org.example.A", "--own=org.mpris.MediaPlayer2.player.*",
            "--call=org.example.C=org.example.C.Get@/c", "--broadcast=org.example.B=*",
            "unix:path=/run/dbus/system_bus_socket", "/box/dbus/system_bus", "--filter",
            "--talk=org.freedesktop.UPower"});
  CompileOptions o;
  o.rootfs = "/nonexistent";
  o.box_dir = "/box";
  const oci::Spec s = compile_profile(p, h, o);
  const oci::Mount* m = mount_at(s, "/run/user/1000/dbus-proxy");
  REQUIRE(m);
  CHECK(m->source == "/box/dbus");
  CHECK(has_env(s, "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/dbus-proxy/bus"));
  CHECK(has_env(s, "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/user/1000/dbus-proxy/system_bus"));
  CHECK(s.annotations->at(kDbusAnnotation).find("--talk=org.example.A") != std::string::npos);
  CHECK_FALSE(mount_at(s, "/run/user/1000/bus"));
}

TEST_CASE("no [dbus]: no bus in the box; open: the session's socket; a missing bus: a warning") {
  const HostFacts h = host_with_bus();
  CompileOptions o;
  o.rootfs = "/nonexistent";
  o.box_dir = "/box";
  const oci::Spec none =
      compile_profile(parse_profile("[app]\ncommand = \"true\"\n", "p.toml"), h, o);
  CHECK_FALSE(has_env(none, "DBUS_"));
  CHECK_FALSE(mount_at(none, "/run/user/1000/dbus-proxy"));
  CHECK(none.annotations->count(kDbusAnnotation) == 0);

  const Profile open =
      parse_profile("[app]\ncommand = \"true\"\n[dbus]\nsession = \"open\"\n", "open.toml");
  CHECK(bus_proxy_args(open, h, "/box").empty());
  const oci::Spec so = compile_profile(open, h, o);
  const oci::Mount* m = mount_at(so, "/run/user/1000/bus");
  REQUIRE(m);
  CHECK(m->source == "/run/user/1000/bus");
  CHECK(has_env(so, "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus"));

  HostFacts bare = h;
  bare.session_bus.clear();
  bare.session_bus_path.clear();
  bare.system_bus.clear();
  const Profile filtered = parse_profile(
      "[app]\ncommand = \"true\"\n[dbus]\nsession = \"filter\"\nsystem = \"filter\"\n", "f.toml");
  const BusPlan plan = plan_buses(filtered, bare);
  CHECK_FALSE(plan.session);
  CHECK(plan.missing == std::vector<std::string>{
                            "f.toml: dbus.session = \"filter\", but the session has no D-Bus "
                            "(nothing at unix:path=/run/user/1000/bus): the box runs without one",
                            "f.toml: dbus.system = \"filter\", but there is no system bus "
                            "(/run/dbus/system_bus_socket): the box runs without one"});
  CHECK(bus_proxy_args(filtered, bare, "/box").empty());
}

TEST_CASE("[dbus] grants of fragments and the profile add up") {
  TempDir t;
  boxrt::make_dirs(t / "fragments", 0755);
  std::ofstream(t / "fragments/a.toml") << "[dbus]\nsession = \"filter\"\ntalk = [\"org.a.A\"]\n";
  std::ofstream(t / "fragments/b.toml") << "[dbus]\nsession = \"filter\"\ntalk = [\"org.b.B\"]\n";
  std::ofstream(t / "app.toml") << "include = [\"a\", \"b\"]\n[app]\ncommand = \"true\"\n"
                                   "[dbus]\ntalk = [\"org.c.C\"]\nown = [\"org.c.Own\"]\n";
  const testing::ProfilePath path(t.path());
  const Profile p = load_profile(t / "app.toml");
  CHECK(p.session_bus.mode == BusMode::filter);
  CHECK(p.session_bus.talk == std::vector<std::string>{"org.a.A", "org.b.B", "org.c.C"});
  CHECK(p.session_bus.own == std::vector<std::string>{"org.c.Own"});
}
