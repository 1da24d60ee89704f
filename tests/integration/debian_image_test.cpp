// type = "debian": a real mmdebstrap --mode=unshare build of a minbase bookworm plus `hello`,
// from a mirror served on loopback (the packages scripts/test fetched once,
// tests/data/debian/fetch-mirror), run as a box; the second box of the recipe starts from the
// store; a build that fails keeps its log and leaves nothing in the store. Slow: a build
// takes ten seconds or more.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "harness.hpp"
#include "launcher_harness.hpp"
#include "util/sys.hpp"

using namespace itest;

namespace {

// python3's http.server over the mirror's directory, on a free loopback port.
class Mirror {
 public:
  explicit Mirror(const std::string& dir) : port_(free_loopback_port(SOCK_STREAM)) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setsid();
      // Its log of every request is no part of the test's output.
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 2);
      exec_argv({"/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", dir,
                 std::to_string(port_)});
    }
    for (int i = 0; i < 400; ++i) {
      if (run_process({"/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port_)})
              .status == 0)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    FAIL("http.server did not listen on 127.0.0.1:" << port_);
  }
  ~Mirror() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  // A flat repository, unsigned: what mirror = "deb ..." takes.
  std::string line() const {
    return "deb [trusted=yes] http://127.0.0.1:" + std::to_string(port_) + "/ ./";
  }

 private:
  int port_;
  pid_t pid_ = -1;
};

std::string debian_profile(const Mirror& m, const std::string& packages,
                           const std::string& command) {
  return "[app]\ncommand = \"" + command +
         "\"\n[image]\ntype = \"debian\"\nsuite = \"bookworm\"\npackages = [" + packages +
         "]\nmirror = \"" + m.line() + "\"\n";
}

int entries(const std::string& dir) {
  return std::stoi(run_process({"/bin/sh", "-c", "ls -A '" + dir + "' 2>/dev/null | wc -l"}).out);
}

}  // namespace

TEST_CASE("a Debian root built by mmdebstrap runs its package's program, and is built once",
          "[slow]") {
  const char* dir = std::getenv("BOXAPP_DEBIAN_MIRROR");
  REQUIRE(dir);  // scripts/test fetches it (tests/data/debian/fetch-mirror)
  REQUIRE(boxrt::path_exists(std::string(dir) + "/Release"));
  Mirror mirror(dir);
  Launcher boxapp;
  boxapp.env("XDG_STATE_HOME=" + boxapp.data_home() + "/state");
  boxapp.profile("deb", debian_profile(mirror, "\"hello\"", "hello"));

  const auto t0 = std::chrono::steady_clock::now();
  Result build = boxapp({"image", "build", "deb"}, 300);
  const auto built_in = std::chrono::steady_clock::now() - t0;
  INFO(build.err);
  REQUIRE(build.status == 0);
  CHECK(contains(build.out, "debian:bookworm:"));
  // Not on a terminal: one line per step of mmdebstrap's, not a redrawn bar.
  CHECK(contains(build.err, "building debian:bookworm:"));
  CHECK(contains(build.err, "  built: "));
  WARN("minbase + hello built in "
       << std::chrono::duration_cast<std::chrono::milliseconds>(built_in).count() << " ms");

  // The program comes from the package, in a root of Debian's own files and owners.
  Result run = boxapp({"run", "deb"});
  INFO(run.err);
  CHECK(run.status == 0);
  CHECK(run.out == "Hello, world!\n");
  Result greet = boxapp({"run", "deb", "--", "--greeting=from the box"});
  CHECK(greet.out == "from the box\n");

  // The second box of the recipe, even from another profile, starts from the store.
  boxapp.profile("deb2", debian_profile(mirror, "\"hello\", \"hello\"", "/bin/sh"));
  Result again =
      boxapp({"run", "deb2", "--", "-c",
              "cat /etc/debian_version; stat -c '%u:%g %a %n' /usr/bin/hello /etc/shadow"});
  INFO(again.err);
  CHECK(again.status == 0);
  CHECK(contains(again.out, "12."));
  CHECK(contains(again.out, "0:0 755 /usr/bin/hello\n0:42 640 /etc/shadow\n"));
  CHECK_FALSE(contains(again.err, "building"));
  const json ls = json::parse(boxapp({"image", "ls", "--json"}).out);
  REQUIRE(ls.size() == 1);
  CHECK(contains(ls[0]["recipe"].get<std::string>(), "packages: hello\n"));
  // The log of the build stays, for a look at what apt did.
  std::string log = build.out.substr(0, build.out.find(' '));
  std::replace(log.begin(), log.end(), ':', '-');
  CHECK(contains(boxrt::read_file(boxapp.data_home() + "/state/boxapp/builds/" + log + ".log"),
                 "Unpacking hello"));
}

TEST_CASE("a Debian build that fails names mmdebstrap's reason and its log, and adds nothing",
          "[slow]") {
  const char* dir = std::getenv("BOXAPP_DEBIAN_MIRROR");
  REQUIRE(dir);
  Mirror mirror(dir);
  Launcher boxapp;
  boxapp.env("XDG_STATE_HOME=" + boxapp.data_home() + "/state");
  boxapp.profile("nope", debian_profile(mirror, "\"no-such-package-here\"", "true"));
  Result r = boxapp({"run", "nope"}, 300);
  CHECK(r.status != 0);
  INFO(r.err);
  CHECK(contains(r.err, "build `debian:bookworm:"));
  CHECK(contains(r.err, "mmdebstrap: "));
  CHECK(contains(r.err, "(its log: " + boxapp.data_home() + "/state/boxapp/builds/"));
  const std::string log = r.err.substr(r.err.find("(its log: ") + 10,
                                       r.err.find(".log)") + 4 - r.err.find("(its log: ") - 10);
  CHECK(contains(boxrt::read_file(log), "no-such-package-here"));
  const std::string store = boxapp.data_home() + "/boxapp/images";
  CHECK(entries(store + "/records") == 0);
  CHECK(entries(store + "/layers/sha256") == 0);
  CHECK(entries(store + "/tmp") == 0);
}
