// Profiles: the broken-profile corpus (each file says the exact message it must give), the
// shipped profiles, extends/include merging, and compiled specs against golden files.
#include "profile/profile.hpp"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>

#include "compile/compile.hpp"
#include "init/plan.hpp"
#include "profile_support.hpp"
#include "test_support.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace {

std::vector<std::string> toml_files(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (auto* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.ends_with(".toml")) out.push_back(dir + "/" + n);
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

using testing::ProfilePath;
using testing::test_host;

}  // namespace

TEST_CASE("every broken profile gives exactly its expected message") {
  const std::string dir = testing::test_data("profiles/broken");
  ProfilePath path(dir);
  auto files = toml_files(dir);
  REQUIRE(files.size() >= 30);
  for (const auto& f : files) {
    DYNAMIC_SECTION(boxrt::base_name(f)) {
      std::string first;
      std::getline(std::ifstream(f), first);
      REQUIRE(first.rfind("# expect: ", 0) == 0);
      const std::string expected = replace_all(first.substr(10), "{file}", f);
      CHECK_THROWS_WITH(boxapp::load_profile(f), expected);
    }
  }
}

TEST_CASE("every shipped profile loads, compiles and validates against the runtime-spec") {
  const std::string dir = std::string(BOXAPP_SOURCE_DIR) + "/profiles";
  ProfilePath path(dir);
  auto files = toml_files(dir);
  REQUIRE(files.size() >= 12);
  for (const auto& f : files) {
    DYNAMIC_SECTION(boxrt::base_name(f)) {
      boxapp::Profile p = boxapp::load_profile(f);
      CHECK(!p.description.empty());
      // The comment header says what it allows and why.
      const std::string text = boxrt::read_file(f);
      CHECK(text.rfind("# " + p.name + ": ", 0) == 0);
      // And, sharing the host network, what else that shares (SCHEMA.md, [network]).
      if (p.network == boxapp::NetworkMode::host)
        CHECK(text.substr(0, text.find("\n[")).find("abstract unix socket") != std::string::npos);
      boxapp::CompileOptions o;
      o.rootfs = "/var/lib/boxapp/root";
      for (auto& m : p.mounts)
        m.optional = true;
      oci::Spec spec = boxapp::compile_profile(p, test_host(), o);
      auto errors = testing::schema_errors(oci::spec_to_json(spec));
      CHECK(errors == std::nullopt);
      CHECK_NOTHROW(oci::parse_spec(oci::dump_spec(spec)));
    }
  }
}

TEST_CASE("extends builds on a profile, include merges fragments, the profile's own keys win") {
  testing::TempDir dir;
  ::mkdir((dir / "fragments").c_str(), 0755);
  std::ofstream(dir / "fragments/x11.toml") << "[display]\nmode = \"x11\"\n";
  std::ofstream(dir / "fragments/share.toml")
      << "[[mounts]]\nhost = \"/srv/a\"\n[env]\nA = \"from-fragment\"\n";
  std::ofstream(dir / "base.toml") << "include = [\"x11\"]\n[app]\ncommand = \"base-cmd\"\n"
                                      "description = \"the base\"\n[[mounts]]\nhost = \"/srv/b\"\n";
  std::ofstream(dir / "child.toml") << "extends = \"base\"\ninclude = [\"share\"]\n[app]\n"
                                       "command = \"child-cmd\"\n[env]\nA = \"own\"\n";
  ProfilePath path(dir.path());
  boxapp::Profile p = boxapp::load_profile(boxapp::find_profile("child"));
  CHECK(p.name == "child");
  CHECK(p.command == "child-cmd");
  CHECK(p.description == "the base");
  CHECK(p.display == boxapp::Display::x11);
  CHECK(p.env.at("A") == "own");
  REQUIRE(p.mounts.size() == 2);  // [[mounts]] add up: the base's, then the fragment's
  CHECK(p.mounts[0].host == "/srv/b");
  CHECK(p.mounts[1].host == "/srv/a");
  // A user's profile of the same name builds on the shipped one.
  testing::TempDir user;
  std::ofstream(user / "base.toml") << "extends = \"base\"\n[app]\ncommand = \"mine\"\n";
  ProfilePath both(user.path() + ":" + dir.path());
  boxapp::Profile mine = boxapp::load_profile(boxapp::find_profile("base"));
  CHECK(mine.command == "mine");
  CHECK(mine.display == boxapp::Display::x11);
  CHECK_THROWS_WITH(boxapp::find_profile("nope"),
                    "no profile `nope` (looked in " + user.path() + ", " + dir.path() + ")");
}

TEST_CASE("compiled specs match their golden files") {
  const std::string dir = testing::test_data("profiles/good");
  ProfilePath path(dir);
  for (const auto& f : toml_files(dir)) {
    DYNAMIC_SECTION(boxrt::base_name(f)) {
      boxapp::Profile p = boxapp::load_profile(f);
      boxapp::CompileOptions o;
      o.rootfs = "/var/lib/boxapp/root";
      std::string got = oci::dump_spec(boxapp::compile_profile(p, test_host(), o));
      got = replace_all(got, f, "{file}");
      const std::string golden = f.substr(0, f.size() - 5) + ".json";
      if (::getenv("BOXAPP_UPDATE_GOLDEN")) std::ofstream(golden) << got;
      CHECK(got == boxrt::read_file(golden));
    }
  }
}

TEST_CASE("compile-time errors name the field and what is missing") {
  ProfilePath path(testing::test_data("profiles/good"));
  boxapp::HostFacts h = test_host();
  boxapp::CompileOptions o;
  o.rootfs = "/r";
  auto compile = [&](const std::string& text) {
    return boxapp::compile_profile(boxapp::parse_profile(text, "t.toml"), h, o);
  };
  h.display.clear();
  CHECK_THROWS_WITH(compile("[app]\ncommand='x'\n[display]\nmode='x11'\n"),
                    "t.toml: display.mode: \"x11\", but there is no X display to show it on "
                    "(DISPLAY is not set)");
  CHECK_THROWS_WITH(compile("[app]\ncommand='x'\n[display]\nmode='wayland'\n"),
                    "t.toml: display.mode: \"wayland\", but no Wayland compositor is running "
                    "(WAYLAND_DISPLAY is not set or its socket is missing)");
  h.pulse_socket.clear();
  CHECK_THROWS_WITH(compile("[app]\ncommand='x'\n[audio]\nmode='pulseaudio'\nrequired=true\n"),
                    "t.toml: audio.mode: \"pulseaudio\", but no PulseAudio server is running (no "
                    "socket at $XDG_RUNTIME_DIR/pulse/native) (audio.required = true)");
  // Not required: the box runs without sound.
  const oci::Spec quiet = compile("[app]\ncommand='x'\n[audio]\nmode='pulseaudio'\n");
  for (const auto& e : *quiet.process->env)
    CHECK(e.rfind("PULSE_", 0) != 0);
  CHECK_THROWS_WITH(
      compile("[app]\ncommand='x'\n[display]\nmode='x11-isolated'\n[network]\nmode='host'\n"),
      "t.toml: display.mode: \"x11-isolated\" with network.mode = \"host\" is not isolated: the "
      "host network shares the host's abstract sockets, the X server's among them; give the box "
      "a network of its own (network.mode = \"none\")");
  CHECK_THROWS_WITH(
      compile("[app]\ncommand='x'\n[env]\nDBUS_SESSION_BUS_ADDRESS='unix:abstract=/tmp/dbus-x'\n"),
      "t.toml: env.DBUS_SESSION_BUS_ADDRESS: an abstract socket (unix:abstract=/tmp/dbus-x) is "
      "never given to a box: it is the host's whole session bus");
  h.display = ":77";
  CHECK_THROWS_WITH(compile("[app]\ncommand='x'\n[display]\nmode='x11'\n"),
                    "display :77: no X server is listening (no socket /tmp/.X11-unix/X77); is "
                    "DISPLAY right?");
  h.display.clear();
  // The bridge: a network namespace of the box's own, plumbed at run time (run/bridge.cpp).
  const oci::Spec bridged = compile("[app]\ncommand='x'\n[network]\nmode='bridge'\n");
  CHECK(std::count_if(bridged.linux->namespaces->begin(), bridged.linux->namespaces->end(),
                      [](const oci::Namespace& n) { return n.type == "network" && !n.path; }) == 1);
  // Published ports and isolation are the bridge's, at run time; a mistake is the profile's.
  CHECK_NOTHROW(
      compile("[app]\ncommand='x'\n[network]\nmode='bridge'\nports=['8080:80']\n"
              "isolate=true\n"));
  CHECK_THROWS_WITH(compile("[app]\ncommand='x'\n[network]\nmode='bridge'\nports=['80:80/sctp']\n"),
                    "t.toml:5:8: network.ports[0]: port `80:80/sctp`: the protocol is tcp or udp, "
                    "not sctp (expected [IP:]HOST_PORT:BOX_PORT[/tcp|/udp], or BOX_PORT alone for "
                    "any free host port)");
  CHECK_THROWS_WITH(compile("[app]\ncommand='x'\n[network]\nmode='none'\nisolate=true\n"),
                    "t.toml:5:9: network.isolate: needs mode = \"bridge\"");
  CHECK_THROWS_WITH(compile("[app]\ncommand='x'\n[[mounts]]\nhost='/nonexistent/x'\n"),
                    "t.toml: mounts[0].host: `/nonexistent/x` does not exist (set optional = "
                    "true to skip it)");
  CHECK_THROWS_WITH(compile("[app]\ncommand='x'\n[[mounts]]\nhost='${NOPE}/x'\n"),
                    "t.toml: mounts[0].host: unknown variable ${NOPE} (there are HOME, UID, APP, "
                    "XDG_RUNTIME_DIR, XDG_DATA_HOME, DOWNLOADS)");
  CHECK_THROWS_WITH(compile("[app]\ncommand='x'\nworkdir='${APP}/w'\n"),
                    "t.toml: app.workdir: expected an absolute path, not `t/w`");
  CHECK_THROWS_WITH(compile("[app]\ncommand='x'\n[[mounts]]\nhost='/'\ncontainer='${APP}'\n"),
                    "t.toml: mounts[0].container: expected an absolute path, not `t`");
  CHECK_THROWS_WITH(boxapp::parse_profile("[app]\ncommand='x'\n", "my app.toml"),
                    "my app.toml: the file name makes the app's name, `my app`: use letters, "
                    "digits, - _ and . (or set app.name)");
  CHECK_THROWS_WITH(compile("[app]\ncommand='x'\n[devices]\npaths=['/dev/nope']\n"),
                    "t.toml: devices.paths[0]: `/dev/nope` is not a device on this host");
}

TEST_CASE("Xauthority: the display's cookie, for this host first, written as a wildcard") {
  auto entry = [](uint16_t family, std::string addr, std::string number, std::string data) {
    return boxapp::encode_xauth(
        {family, std::move(addr), std::move(number), "MIT-MAGIC-COOKIE-1", std::move(data)});
  };
  const std::string file = entry(boxapp::kFamilyLocal, "other", "0", "other-host") +
                           entry(boxapp::kFamilyWild, "", "0", "wild") +
                           entry(boxapp::kFamilyLocal, "here", "1", "display-1") +
                           entry(boxapp::kFamilyLocal, "here", "0", "mine");
  CHECK(boxapp::find_display_cookie(file, "0", "here")->data == "mine");
  CHECK(boxapp::find_display_cookie(file, "0", "elsewhere")->data == "wild");
  CHECK(boxapp::find_display_cookie(file, "1", "elsewhere")->data == "display-1");
  CHECK_FALSE(boxapp::find_display_cookie(file, "2", "here"));
  // A truncated file: the entries before the cut still count.
  CHECK(boxapp::find_display_cookie(file.substr(0, file.size() - 3), "0", "x")->data == "wild");
  // Read back by the same rules, an encoded entry is itself.
  boxapp::XauthEntry e{boxapp::kFamilyWild, "", "7", "MIT-MAGIC-COOKIE-1", "cookie"};
  auto back = boxapp::find_display_cookie(boxapp::encode_xauth(e), "7", "any");
  REQUIRE(back);
  CHECK(back->family == boxapp::kFamilyWild);
  CHECK(back->data == "cookie");
}

TEST_CASE("audio and video groups: mapped as themselves where /etc/subgid grants, else kept") {
  boxapp::HostFacts h = test_host();
  boxapp::CompileOptions o;
  o.rootfs = "/r";
  const auto profile =
      boxapp::parse_profile("[app]\ncommand='x'\n[groups]\naudio = true\nvideo = true\n", "t.toml");
  auto keeps = [](const oci::Spec& s) {
    return s.annotations && s.annotations->count("run.oci.keep_original_groups");
  };
  // Neither granted: the user's groups are kept.
  oci::Spec kept = boxapp::compile_profile(profile, h, o);
  CHECK(keeps(kept));
  CHECK(kept.linux->gid_mappings->size() == 1);
  // Both granted: each mapped as itself and given to the app.
  h.granted_groups = {{"audio", 29}, {"video", 44}};
  oci::Spec mapped = boxapp::compile_profile(profile, h, o);
  CHECK_FALSE(keeps(mapped));
  CHECK(mapped.linux->gid_mappings->at(1) == oci::IdMapping{29, 29, 1, {}});
  CHECK(mapped.linux->gid_mappings->at(2) == oci::IdMapping{44, 44, 1, {}});
  CHECK(mapped.process->user->additional_gids == std::vector<uint32_t>{29, 44});
}

TEST_CASE("display auto: Wayland when the session has it, else X11") {
  boxapp::HostFacts h = test_host();
  boxapp::CompileOptions o;
  o.rootfs = "/r";
  const auto profile =
      boxapp::parse_profile("[app]\ncommand='x'\n[display]\nmode='auto'\n", "t.toml");
  auto env_has = [](const oci::Spec& s, const std::string& prefix) {
    for (const auto& e : *s.process->env)
      if (e.rfind(prefix, 0) == 0) return true;
    return false;
  };
  oci::Spec x11 = boxapp::compile_profile(profile, h, o);
  CHECK(env_has(x11, "DISPLAY=:0"));
  CHECK_FALSE(env_has(x11, "WAYLAND_DISPLAY="));
  h.wayland_display = "/run/user/1000/wayland-0";
  oci::Spec wayland = boxapp::compile_profile(profile, h, o);
  CHECK(env_has(wayland, "WAYLAND_DISPLAY=wayland-0"));
  CHECK_FALSE(env_has(wayland, "DISPLAY="));
}

TEST_CASE(
    "app.init: the runtime's reaper as pid 1 in front of the app, unless the profile opts out") {
  boxapp::HostFacts h = test_host();
  boxapp::Profile p;
  p.name = "app";
  p.command = "xterm";
  p.args = {"-e", "top"};
  boxapp::CompileOptions o;
  o.rootfs = "/var/lib/boxapp/root";
  oci::Spec s = boxapp::compile_profile(p, h, o);
  CHECK(*s.process->args == oci::StringList{"xterm", "-e", "top"});
  CHECK(s.annotations->at(boxrt::kReaperAnnotation) == "1");
  CHECK(boxrt::asks_for_reaper(s.annotations));
  p.init = false;
  s = boxapp::compile_profile(p, h, o);
  CHECK(*s.process->args == oci::StringList{"xterm", "-e", "top"});
  CHECK_FALSE(boxrt::asks_for_reaper(s.annotations));
}

TEST_CASE("shipped profiles keep the settings of apps that have them, and sandbox what sandboxes") {
  const std::string dir = std::string(BOXAPP_SOURCE_DIR) + "/profiles";
  ProfilePath path(dir);
  auto load = [&](const std::string& app) {
    return boxapp::load_profile(dir + "/" + app + ".toml");
  };
  for (const char* app : {"vlc", "mpv", "gimp", "inkscape", "libreoffice", "evince"}) {
    INFO(app);
    CHECK(load(app).home == boxapp::HomeMode::persist);
  }
  CHECK(load("xterm").home == boxapp::HomeMode::tmpfs);
  // Their own sandboxes make user namespaces.
  for (const char* app : {"chrome", "firefox", "thunderbird"}) {
    INFO(app);
    CHECK(load(app).nested_userns);
  }
  // The host's font cache, read-only, wherever fonts are.
  bool cache = false;
  for (const auto& m : load("vlc").mounts)
    cache = cache || (m.host == "/var/cache/fontconfig" && m.read_only);
  CHECK(cache);
}
