// What `boxapp` says when the input is wrong: one line that names the fix, a non-zero exit,
// and nothing left behind.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdlib>

#include "harness.hpp"
#include "launcher_harness.hpp"
#include "util/sys.hpp"

using namespace itest;

TEST_CASE("a command that is nowhere in the host image: an error at run, a warning at check") {
  Launcher boxapp;
  boxapp.profile("missing", "[app]\ncommand = \"no-such-program\"\n");
  Result r = boxapp({"run", "missing"});
  CHECK(r.status == 1);
  CHECK(r.err == "boxapp: " + boxapp.file("missing") +
                     ": app.command: `no-such-program` is not in the host image (not on the "
                     "box's PATH /usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin): "
                     "is it installed?\n");
  CHECK(!boxrt::path_exists(Launcher::bundle_dir("missing")));
  // The image may be another when it runs: check only warns.
  Result check = boxapp({"profiles", "check", boxapp.file("missing")});
  CHECK(check.status == 0);
  CHECK(check.out == boxapp.file("missing") + ": ok\n");
  CHECK(contains(check.err, "boxapp: warning: " + boxapp.file("missing") +
                                ": app.command: `no-such-program` is not in the host image"));
  boxapp.profile("abs", "[app]\ncommand = \"/opt/none/app\"\n");
  CHECK(contains(boxapp({"run", "abs"}).err,
                 "`/opt/none/app` is not in the host image (no such "
                 "file): is it installed?"));
}

TEST_CASE("a misspelt required key is reported as the unknown key it is") {
  Launcher boxapp;
  boxapp.profile("typo", "[app]\ncomand = \"xterm\"\n");
  Result r = boxapp({"run", "typo"});
  CHECK(r.status == 1);
  CHECK(r.err == "boxapp: " + boxapp.file("typo") +
                     ":2:1: app.comand: unknown key, did you mean `app.command`?\n");
}

TEST_CASE("a profile name one typo away, and other tools' commands") {
  Launcher boxapp;
  boxapp.profile("chrome", "[app]\ncommand = \"true\"\n");
  Result r = boxapp({"run", "chrom"});
  CHECK(r.status == 1);
  CHECK(r.err == "boxapp: no profile `chrom`; did you mean chrome?\n");
  CHECK(contains(boxapp({"chrom"}).err, "did you mean chrome?"));
  for (const char* word : {"list", "top", "images"}) {
    Result u = boxapp({word});
    CHECK(u.status == 2);
    CHECK(u.err ==
          std::string("boxapp: unknown command `") + word + "` (boxapp --help lists them)\n");
  }
  // A profile of that name is run, as asked.
  boxapp.profile("list", "[app]\ncommand = \"true\"\n");
  CHECK(boxapp({"list"}).status == 0);
}

TEST_CASE("no sound server: the box runs without sound and says so; audio.required fails") {
  Launcher boxapp;
  boxapp.profile("player", R"([app]
command = "/bin/sh"
args = ["-c", "echo ${PULSE_SERVER:-silent}"]
[audio]
mode = "pulseaudio"
)");
  auto without_server = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = boxapp.command(std::move(args));
    argv.insert(argv.begin() + 1, "PULSE_SERVER=unix:/nonexistent/pulse/native");
    return run_process(argv);
  };
  const std::string missing = boxapp.file("player") +
                              ": audio.mode: \"pulseaudio\", but no PulseAudio server is running "
                              "(no socket at /nonexistent/pulse/native)";
  Result r = without_server({"run", "player"});
  CHECK(r.status == 0);
  CHECK(r.out == "silent\n");
  CHECK(r.err == "boxapp: warning: " + missing +
                     ": the box runs without sound (audio.required = true makes this an error)\n");
  // spec prints what would run, with the same warning.
  Result spec = without_server({"spec", "player"});
  CHECK(spec.status == 0);
  CHECK(contains(spec.out, "\"ociVersion\""));
  CHECK(contains(spec.err, missing));
  // doctor names the socket it tried.
  CHECK(contains(without_server({"doctor"}).out,
                 "no PulseAudio server: nothing at /nonexistent/pulse/native (boxes that ask for "
                 "sound run without it)"));
  boxapp.profile("needy", R"([app]
command = "true"
[audio]
mode = "pulseaudio"
required = true
)");
  Result needy = without_server({"run", "needy"});
  CHECK(needy.status == 1);
  CHECK(contains(needy.err, "(no socket at /nonexistent/pulse/native) (audio.required = true)"));
  CHECK(!boxrt::path_exists(Launcher::bundle_dir("needy")));
  CHECK(!boxrt::path_exists(Launcher::bundle_dir("player")));
}

TEST_CASE("the host network and abstract sockets: a box of its own network can't reach them") {
  if (!boxrt::path_exists("/usr/bin/python3")) return;
  // An abstract socket on the host, as X servers and dbus-launch make them.
  const std::string name = "boxapp-test-" + std::to_string(::getpid());
  int host = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  name.copy(addr.sun_path + 1, name.size());
  const socklen_t len =
      static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + 1 + name.size());
  REQUIRE(::bind(host, reinterpret_cast<sockaddr*>(&addr), len) == 0);
  REQUIRE(::listen(host, 4) == 0);
  Launcher boxapp;
  const std::string probe =
      "import socket\\ns = socket.socket(socket.AF_UNIX)\\ntry:\\n"
      "  s.connect('\\\\0" +
      name +
      "')\\n  print('reached')\\n"
      "except OSError as e:\\n  print('refused')\\n";
  for (const char* mode : {"none", "host"})
    boxapp.profile(std::string("net-") + mode, std::string("[app]\ncommand = \"python3\"\n"
                                                           "args = [\"-c\", \"") +
                                                   probe + "\"]\n[network]\nmode = \"" + mode +
                                                   "\"\n");
  CHECK(boxapp({"run", "net-none"}).out == "refused\n");
  // The host network shares them: what SCHEMA.md warns of.
  CHECK(boxapp({"run", "net-host"}).out == "reached\n");
  ::close(host);
  // And so an isolated display with the host network is refused.
  boxapp.profile("leaky",
                 "[app]\ncommand = \"true\"\n[display]\nmode = \"x11-isolated\"\n"
                 "[network]\nmode = \"host\"\n");
  Result leaky = boxapp({"run", "leaky"});
  CHECK(leaky.status == 1);
  CHECK(contains(leaky.err, "\"x11-isolated\" with network.mode = \"host\" is not isolated"));
}

TEST_CASE("a box that fails while it is set up says why, in the foreground as detached") {
  Launcher boxapp;
  boxapp.profile("badtarget",
                 "[app]\ncommand = \"true\"\n[[mounts]]\nhost = \"/tmp\"\n"
                 "container = \"/usr/nonexistent-dir\"\n");
  for (bool detach : {false, true}) {
    Result r = boxapp(detach ? std::vector<std::string>{"run", "-d", "badtarget"}
                             : std::vector<std::string>{"run", "badtarget"});
    CHECK(r.status == 1);
    // It once said only "signal the container process: Broken pipe" in the foreground.
    CHECK(r.err == "boxapp: mount target /usr/nonexistent-dir: Read-only file system\n");
    CHECK(!boxrt::path_exists(Launcher::bundle_dir("badtarget")));
    CHECK(boxapp({"logs", "badtarget"}).err == "boxapp: no box `badtarget`\n");
  }
}
