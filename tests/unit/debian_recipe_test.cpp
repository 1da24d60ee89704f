// type = "debian" as data: the machine's release and mirror read from os-release and apt's
// sources in both forms, a recipe made whole and named by its text, and the profile keys.
#include <catch2/catch.hpp>

#include "host/apt_sources.hpp"
#include "image/debian_build.hpp"
#include "test_support.hpp"
#include "util/atomic_file.hpp"
#include "util/sys.hpp"

using namespace boxapp;
using testing::TempDir;

TEST_CASE("the machine's Debian release and first mirror, from either sources form") {
  CHECK(first_deb_uri("# a comment\ndeb-src http://src.example/debian bookworm main\n"
                      "deb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main\n",
                      false) == "http://m.example/debian");
  CHECK(first_deb_uri("deb http://plain.example/debian bookworm main contrib\n", false) ==
        "http://plain.example/debian");
  CHECK(first_deb_uri("deb broken\n", false).empty());
  CHECK(first_deb_uri("Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n\n"
                      "Types: deb\nURIs: http://off.example/debian\nEnabled: no\n\n"
                      "Types: deb deb-src\n# comment\nURIs: http://on.example/debian "
                      "http://second.example\nSuites: bookworm bookworm-updates\n",
                      true) == "http://on.example/debian");

  TempDir t;
  boxrt::make_dirs(t.path() + "/apt/sources.list.d", 0755);
  CHECK(host_debian_mirror(t.path() + "/apt").empty());
  // An empty sources.list (as Debian 12 installs it) gives way to sources.list.d, in order.
  boxrt::write_file_atomic(t.path() + "/apt/sources.list", "");
  boxrt::write_file_atomic(t.path() + "/apt/sources.list.d/b.sources",
                           "Types: deb\nURIs: http://b.example/debian\nSuites: bookworm\n");
  boxrt::write_file_atomic(t.path() + "/apt/sources.list.d/a.list.disabled",
                           "deb http://disabled.example/debian bookworm main\n");
  boxrt::write_file_atomic(t.path() + "/apt/sources.list.d/c.list",
                           "deb http://c.example/debian bookworm main\n");
  CHECK(host_debian_mirror(t.path() + "/apt") == "http://b.example/debian");

  boxrt::write_file_atomic(t.path() + "/os-release",
                           "NAME=\"Debian GNU/Linux\"\nVERSION_CODENAME=bookworm\n");
  CHECK(host_debian_suite(t.path() + "/os-release") == "bookworm");
  boxrt::write_file_atomic(t.path() + "/os-release", "VERSION_CODENAME=\"trixie\"\n");
  CHECK(host_debian_suite(t.path() + "/os-release") == "trixie");
  CHECK(host_debian_suite(t.path() + "/none").empty());
}

TEST_CASE("a recipe is made whole and named by its text: order and repeats don't count") {
  DebianRecipe r;
  r.suite = "bookworm";
  r.mirror = "http://m.example/debian";
  r.packages = {"hello", "busybox", "hello"};
  const DebianRecipe w = whole_recipe(r, "p.toml");
  CHECK(w.packages == std::vector<std::string>{"busybox", "hello"});
  CHECK(w.components == std::vector<std::string>{"main"});
  CHECK(recipe_text(w) ==
        "variant: minbase\nsuite: bookworm\ncomponents: main\nmirror: http://m.example/debian\n"
        "packages: busybox hello\n");

  DebianRecipe same = r;
  same.packages = {"busybox", "hello"};
  CHECK(debian_image_name(whole_recipe(same, "p.toml")) == debian_image_name(w));
  CHECK(debian_image_name(w).rfind("debian:bookworm:", 0) == 0);
  CHECK(debian_image_name(w).size() == std::string("debian:bookworm:").size() + 16);
  DebianRecipe more = r;
  more.packages.push_back("curl");
  CHECK(debian_image_name(whole_recipe(more, "p.toml")) != debian_image_name(w));
  DebianRecipe other_mirror = r;
  other_mirror.mirror = "deb [trusted=yes] http://127.0.0.1:1/ ./";
  CHECK(debian_image_name(whole_recipe(other_mirror, "p.toml")) != debian_image_name(w));
  CHECK(build_log_path(debian_image_name(w)).find("/boxapp/builds/debian-bookworm-") !=
        std::string::npos);
}

TEST_CASE("a Debian profile reads its recipe; a Debian root needs a command") {
  const Profile p = parse_profile(
      "[app]\ncommand = \"hello\"\n[image]\ntype = \"debian\"\nsuite = \"bookworm\"\n"
      "packages = [\"hello\", \"curl\"]\ncomponents = [\"main\", \"contrib\"]\n"
      "mirror = \"http://m.example/debian\"\n",
      "p.toml");
  CHECK(p.image == "debian");
  CHECK(p.debian.suite == "bookworm");
  CHECK(p.debian.packages == std::vector<std::string>{"hello", "curl"});
  CHECK(p.debian.components == std::vector<std::string>{"main", "contrib"});
  CHECK(p.debian.mirror == "http://m.example/debian");
  CHECK_THROWS_WITH(parse_profile("[app]\n[image]\ntype = \"debian\"\n", "p.toml"),
                    "p.toml:1:1: app.command: required (the program to run)");
}
