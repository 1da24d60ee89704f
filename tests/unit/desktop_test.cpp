// The pieces of desktop integration that are data: .desktop files read and Exec values
// written, files named in arguments against a box's mounts, stats' rates and rendering,
// the completion scripts' tables.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "cli/boxapp_commands.hpp"
#include "compile/shared_files.hpp"
#include "desktop/desktop_file.hpp"
#include "oci/make_mount.hpp"
#include "stats/box_stats.hpp"
#include "stats/stats_view.hpp"
#include "test_support.hpp"

using namespace boxapp;

TEST_CASE("a .desktop file's [Desktop Entry] keys: unlocalized, other groups aside") {
  testing::TempDir dir;
  std::ofstream(dir / "app.desktop")
      << "# comment\n[Desktop Entry]\nName=Viewer\nName[fr]=Visionneuse\n Exec = env A=1 "
         "\"/opt/my app/viewer\" %F\n[Desktop Action new]\nName=New window\n";
  const auto e = read_desktop_entry(dir / "app.desktop");
  REQUIRE(e);
  CHECK(e->id == "app.desktop");
  CHECK(e->get("Name") == "Viewer");
  CHECK(e->keys.count("Name[fr]") == 0);
  CHECK(exec_program(e->get("Exec")) == "/opt/my app/viewer");
  CHECK(exec_program("chromium %U") == "chromium");
  std::ofstream(dir / "none.desktop") << "[Other]\nName=x\n";
  CHECK_FALSE(read_desktop_entry(dir / "none.desktop"));
  CHECK_FALSE(read_desktop_entry(dir / "missing.desktop"));
}

TEST_CASE("Exec arguments: quoted where reserved, % doubled, backslashes escaped twice") {
  CHECK(exec_argument("/usr/bin/boxapp") == "/usr/bin/boxapp");
  CHECK(exec_argument("/home/a b/boxapp") == "\"/home/a b/boxapp\"");
  CHECK(exec_argument("50%") == "50%%");
  // `$` in quotes is \$; the string value's own escaping doubles the backslash.
  CHECK(exec_argument("a$b") == "\"a\\\\$b\"");
  CHECK(exec_argument("") == "\"\"");
}

TEST_CASE("files named in arguments: what a box's mounts show, and what gets shared") {
  CHECK(named_host_path("/a/b") == "/a/b");
  CHECK(named_host_path("file:///a/My%20Doc.pdf") == "/a/My Doc.pdf");
  CHECK(named_host_path("file://localhost/x") == "/x");
  CHECK(named_host_path("https://example.org/") == "");
  CHECK(named_host_path("relative.txt") == "");

  const auto bind = [](const std::string& src, const std::string& dst) {
    return oci::make_mount(dst, "bind", src, {"rbind", "ro"});
  };
  std::vector<oci::Mount> mounts = {bind("/usr", "/usr"),
                                    oci::make_mount("/home/u", "tmpfs", "tmpfs", {}),
                                    bind("/srv/data/u", "/home/u/data")};
  CHECK(shows_host_path(mounts, "/usr/share/doc"));
  CHECK_FALSE(shows_host_path(mounts, "/home/u/paper.pdf"));  // under the box's own home
  CHECK_FALSE(shows_host_path(mounts, "/home/u/data/x"));     // the host's /srv/data/u/x there
  CHECK(shows_host_path(mounts, "/usrx") == false);
  mounts.push_back(bind("/home/u/data", "/home/u/data"));
  CHECK(shows_host_path(mounts, "/home/u/data/x"));  // the last mount decides

  testing::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  std::ofstream(dir / "paper.pdf") << "pdf";
  oci::Spec s;
  s.process = oci::Process{};
  s.process->args =
      oci::StringList{"evince", dir / "paper.pdf", "--page=2", "/proc/self/environ", "/"};
  s.mounts = std::vector<oci::Mount>{oci::make_mount("/tmp", "tmpfs", "tmpfs", {}),
                                     oci::make_mount(dir / "inner", "tmpfs", "tmpfs", {})};
  compile_shared_files(s);
  // The paper, read-only at its own path; never /proc, the root, or a folder above a mount.
  REQUIRE(s.mounts->size() == 3);
  CHECK(s.mounts->back().destination == dir / "paper.pdf");
  CHECK(s.mounts->back().source == dir / "paper.pdf");
  CHECK(std::find(s.mounts->back().options->begin(), s.mounts->back().options->end(), "ro") !=
        s.mounts->back().options->end());
  s.process->args = oci::StringList{"ls", dir.path()};
  compile_shared_files(s);
  CHECK(s.mounts->size() == 3);  // it holds the box's mount `inner`
}

TEST_CASE("stats: CPU is the share of a core used between two samples; sizes as docker's") {
  BoxSample a, b;
  a.name = b.name = "web";
  a.cpu_ns = 1'000'000'000;
  b.cpu_ns = 1'500'000'000;
  b.at = a.at + std::chrono::milliseconds(500);
  b.memory = 3 << 20;
  b.net_rx = 2048;
  b.net_tx = 10;
  const BoxUsage u = usage_between(a, b);
  CHECK(u.cpu_percent == Approx(100.0));
  CHECK(human_bytes(512) == "512B");
  CHECK(human_bytes(1536) == "1.5KiB");
  CHECK(human_bytes(3 << 20) == "3.0MiB");
  CHECK(sparkline({0, 50, 100}, 100) == "▁▅█");
  const auto json = nlohmann::json::parse(stats_json({u}));
  CHECK(json[0]["name"] == "web");
  CHECK(json[0]["net"]["rx"] == 2048);
  BoxUsage hostnet;
  hostnet.name = "h";
  CHECK(nlohmann::json::parse(stats_json({hostnet}))[0]["net"].is_null());
  StatsTable table(true);
  const std::string text = table.render({u});
  CHECK(text.find("NAME") == 0);
  CHECK(text.find("100.00%") != std::string::npos);
  CHECK(text.find("2.0KiB / 10B") != std::string::npos);
  CHECK(text.find("█") != std::string::npos);
}

TEST_CASE("completion scripts come from the command table") {
  CLI::App app{"boxapp"};
  boxapp_cli::Args args;
  boxapp_cli::define_commands(app, args);
  const std::string bash = boxapp_cli::completion_script(app, "bash");
  CHECK(bash.find("'boxapp desktop' 'install uninstall ls'") != std::string::npos);
  CHECK(bash.find("'boxapp stop' 'BOX'") != std::string::npos);
  CHECK(bash.find("'boxapp' 'APP'") != std::string::npos);
  CHECK(bash.find("--no-stream") != std::string::npos);
  CHECK(bash.find("__names") != std::string::npos);
  CHECK(bash.find("complete -F _boxapp boxapp") != std::string::npos);
  CHECK(boxapp_cli::completion_script(app, "zsh").rfind("#compdef boxapp", 0) == 0);
  CHECK(boxapp_cli::completion_script(app, "fish").find("complete -c boxapp") != std::string::npos);
}
