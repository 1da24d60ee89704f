// Hooks: order, where they run, what they get on stdin, env, args, timeouts, failures.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "harness.hpp"
#include "util/sys.hpp"

using namespace itest;

namespace {

// Host scripts for every kind of hook, each appending "KIND MNT-NS STATE-JSON" as a line to
// one log; startContainer runs inside the container (its path resolves there), so its script
// lives in the rootfs and writes the log through a bind mount.
class HookLog {
 public:
  explicit HookLog(Bundle& b) {
    ::chmod(dir_.path().c_str(), 0777);
    write_script(dir_ / "log-hook", "/bin/sh", dir_ / "log");
    ::mkdir((b.rootfs() + "/hooks").c_str(), 0755);
    write_script(b.rootfs() + "/bin/log-hook", "/bin/sh", "/hooks/log");
    oci::Mount m;
    m.destination = "/hooks";
    m.type = "bind";
    m.source = dir_.path();
    m.options = oci::StringList{"rbind", "rw"};
    b.spec.mounts->push_back(m);
  }

  // A hook that logs as `kind`; inside: resolved in the container (startContainer).
  oci::Hook hook(const std::string& kind, bool inside = false) const {
    oci::Hook h;
    h.path = inside ? "/bin/log-hook" : dir_ / "log-hook";
    h.args = oci::StringList{"log-hook", kind};
    return h;
  }

  std::string script(const std::string& name, const std::string& body) const {
    const std::string path = dir_ / name;
    write(path, "#!/bin/sh\n" + body + "\n");
    return path;
  }

  struct Entry {
    std::string kind, mnt_ns;
    json state;
  };
  std::vector<Entry> entries() const {
    std::vector<Entry> out;
    std::string text;
    try {
      text = boxrt::read_file(dir_ / "log");
    } catch (const boxrt::Error&) {
      return out;
    }
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      std::string line = text.substr(pos, end - pos);
      pos = end == std::string::npos ? text.size() : end + 1;
      size_t a = line.find(' '), b = line.find(' ', a + 1);
      out.push_back(
          {line.substr(0, a), line.substr(a + 1, b - a - 1), json::parse(line.substr(b + 1))});
    }
    return out;
  }
  std::vector<std::string> kinds() const {
    std::vector<std::string> out;
    for (const auto& e : entries())
      out.push_back(e.kind);
    return out;
  }
  const std::string& dir() const { return dir_.path(); }

 private:
  static void write(const std::string& path, const std::string& text) {
    boxrt::unique_fd fd = boxrt::open_file(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    boxrt::write_all(fd.get(), text, path);
  }
  static void write_script(const std::string& path, const std::string& sh, const std::string& log) {
    write(path, "#!" + sh + "\nstate=$(cat)\necho \"$1 $(readlink /proc/self/ns/mnt) $state\" >> " +
                    log + "\n");
  }
  testing::TempDir dir_;
};

std::string mnt_ns_of(int pid) {
  char buf[64] = {};
  ssize_t n = ::readlink(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

}  // namespace

TEST_CASE("hooks run in order, with the state on stdin, in the namespaces the spec names") {
  Runtime rt;
  Bundle b;
  HookLog log(b);
  b.spec.process->args = oci::StringList{"sleep", "30"};
  oci::Hooks hooks;
  hooks.prestart = {log.hook("prestart")};
  hooks.create_runtime = {log.hook("createRuntime")};
  hooks.create_container = {log.hook("createContainer")};
  hooks.start_container = {log.hook("startContainer", /*inside=*/true)};
  hooks.poststart = {log.hook("poststart")};
  hooks.poststop = {log.hook("poststop")};
  b.spec.hooks = hooks;
  b.write();

  REQUIRE(rt({"create", "-b", b.path(), "hooked"}).status == 0);
  const int pid = init_pid(rt, "hooked");
  CHECK(log.kinds() == std::vector<std::string>{"prestart", "createRuntime", "createContainer"});
  Result started = rt({"start", "hooked"});
  REQUIRE(started.status == 0);
  // start returns after poststart, and only once the process runs (startContainer is done).
  CHECK(log.kinds() == std::vector<std::string>{"prestart", "createRuntime", "createContainer",
                                                "startContainer", "poststart"});
  const std::string container_ns = mnt_ns_of(pid);
  REQUIRE(rt({"delete", "-f", "hooked"}).status == 0);

  auto entries = log.entries();
  REQUIRE(entries.size() == 6);
  const std::map<std::string, std::string> status = {
      {"prestart", "creating"},      {"createRuntime", "creating"}, {"createContainer", "creating"},
      {"startContainer", "created"}, {"poststart", "running"},      {"poststop", "stopped"}};
  for (const auto& e : entries) {
    INFO(e.kind << ": " << e.state.dump());
    CHECK(e.state["ociVersion"] == "1.2.0");
    CHECK(e.state["id"] == "hooked");
    CHECK(e.state["pid"] == pid);
    CHECK(e.state["bundle"] == b.path());
    CHECK(e.state["status"] == status.at(e.kind));
    // createContainer and startContainer in the container's mount namespace, the rest in
    // the runtime's.
    const bool in_container = e.kind == "createContainer" || e.kind == "startContainer";
    CHECK((e.mnt_ns == container_ns) == in_container);
  }
  CHECK(entries[0].kind == "prestart");
  CHECK(entries[5].kind == "poststop");
}

TEST_CASE("hooks of a foreground run run around the process") {
  Runtime rt;
  Bundle b;
  HookLog log(b);
  b.spec.process->args = oci::StringList{"true"};
  oci::Hooks hooks;
  hooks.create_runtime = {log.hook("createRuntime")};
  hooks.start_container = {log.hook("startContainer", true)};
  hooks.poststart = {log.hook("poststart")};
  hooks.poststop = {log.hook("poststop")};
  b.spec.hooks = hooks;
  b.write();
  REQUIRE(rt({"run", "-b", b.path(), "fg"}).status == 0);
  CHECK(log.kinds() ==
        std::vector<std::string>{"createRuntime", "startContainer", "poststart", "poststop"});
  CHECK(rt.leftovers().empty());
}

TEST_CASE("a hook gets its args and env, and exactly that env") {
  Runtime rt;
  Bundle b;
  HookLog log(b);
  b.spec.process->args = oci::StringList{"true"};
  oci::Hook h;
  // The shell adds PWD (and maybe SHLVL, _) of its own; nothing else may be there.
  h.path = log.script(
      "args-env",
      "{ echo \"$1|$2|$FOO\"; env | grep -v -e ^PWD= -e ^SHLVL= -e ^_=; } > " + log.dir() + "/out");
  h.args = oci::StringList{"ignored-argv0", "one", "two words"};
  h.env = oci::StringList{"FOO=bar baz"};
  oci::Hooks hooks;
  hooks.create_runtime = {h};
  b.spec.hooks = hooks;
  b.write();
  REQUIRE(rt({"run", "-b", b.path(), "argenv"}).status == 0);
  std::string out = boxrt::read_file(log.dir() + "/out");
  CHECK(out == "one|two words|bar baz\nFOO=bar baz\n");
}

TEST_CASE("a hook past its timeout is killed and the create fails, leaving nothing behind") {
  Runtime rt;
  Bundle b;
  HookLog log(b);
  oci::Hook slow;
  slow.path = log.script("slow", "exec sleep 60");
  slow.timeout = 1;
  oci::Hooks hooks;
  hooks.create_runtime = {slow};
  hooks.poststop = {log.hook("poststop")};
  b.spec.hooks = hooks;
  b.write();
  auto t0 = std::chrono::steady_clock::now();
  Result r = rt({"create", "-b", b.path(), "slow"});
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(r.status != 0);
  CHECK(contains(r.err, "createRuntime hook `" + slow.path + "`: timed out after 1 s"));
  CHECK(took < std::chrono::seconds(10));
  CHECK(rt.leftovers().empty());
  auto entries = log.entries();
  REQUIRE(entries.size() == 1);  // destroyed, then poststop ran
  CHECK(entries[0].kind == "poststop");
  CHECK_FALSE(is_alive(entries[0].state["pid"].get<int>()));
  CHECK(testing::run_shell("pgrep -u $(id -u) -f 'slee[p] 60'").status != 0);
}

TEST_CASE("a failing create-time hook destroys the container and says why") {
  for (const char* kind : {"prestart", "createRuntime", "createContainer"}) {
    DYNAMIC_SECTION(kind) {
      Runtime rt;
      Bundle b;
      HookLog log(b);
      oci::Hook bad;
      bad.path = log.script("bad", "echo boom >&2; exit 3");
      oci::Hooks hooks;
      if (std::string(kind) == "prestart") hooks.prestart = {bad};
      if (std::string(kind) == "createRuntime") hooks.create_runtime = {bad};
      if (std::string(kind) == "createContainer") hooks.create_container = {bad};
      hooks.poststop = {log.hook("poststop")};
      b.spec.hooks = hooks;
      b.write();
      Result r = rt({"create", "-b", b.path(), "bad"});
      CHECK(r.status == 1);
      CHECK(contains(r.err,
                     std::string(kind) + " hook `" + bad.path + "`: exited with status 3: boom"));
      CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
      CHECK(rt.leftovers().empty());
      auto entries = log.entries();
      REQUIRE(entries.size() == 1);
      CHECK_FALSE(is_alive(entries[0].state["pid"].get<int>()));
    }
  }
}

TEST_CASE("a hook that can't be executed is an error naming it") {
  Runtime rt;
  Bundle b;
  oci::Hook missing;
  missing.path = "/nonexistent/hook";
  oci::Hooks hooks;
  hooks.create_container = {missing};
  b.spec.hooks = hooks;
  b.write();
  Result r = rt({"create", "-b", b.path(), "missing"});
  CHECK(r.status == 1);
  CHECK(contains(r.err,
                 "createContainer hook `/nonexistent/hook`: exited with status 127: "
                 "cannot execute it: No such file or directory"));
  CHECK(rt.leftovers().empty());
}

TEST_CASE("a failing startContainer hook fails start and destroys the container") {
  Runtime rt;
  Bundle b;
  HookLog log(b);
  {
    boxrt::unique_fd fd =
        boxrt::open_file(b.rootfs() + "/bin/bad-start", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    boxrt::write_all(fd.get(), "#!/bin/sh\necho no start >&2\nexit 2\n", "bad-start");
  }
  b.spec.process->args = oci::StringList{"sleep", "30"};
  oci::Hook bad;
  bad.path = "/bin/bad-start";
  oci::Hooks hooks;
  hooks.start_container = {bad};
  hooks.poststart = {log.hook("poststart")};
  hooks.poststop = {log.hook("poststop")};
  b.spec.hooks = hooks;
  b.write();
  REQUIRE(rt({"create", "-b", b.path(), "badstart"}).status == 0);
  const int pid = init_pid(rt, "badstart");
  Result r = rt({"start", "badstart"});
  CHECK(r.status == 1);
  CHECK(contains(r.err, "startContainer hook `/bin/bad-start`: exited with status 2: no start"));
  CHECK(log.kinds() == std::vector<std::string>{"poststop"});
  CHECK(rt.leftovers().empty());
  for (int i = 0; i < 100 && is_alive(pid); ++i)
    ::usleep(20000);
  CHECK_FALSE(is_alive(pid));
}

TEST_CASE("failing poststart and poststop hooks only warn, and the rest still run") {
  Runtime rt;
  Bundle b;
  HookLog log(b);
  b.spec.process->args = oci::StringList{"sleep", "30"};
  oci::Hook bad;
  bad.path = log.script("bad", "exit 1");
  oci::Hooks hooks;
  hooks.poststart = {bad, log.hook("poststart")};
  hooks.poststop = {bad, log.hook("poststop")};
  b.spec.hooks = hooks;
  b.write();
  REQUIRE(rt({"create", "-b", b.path(), "warn"}).status == 0);
  Result s = rt({"start", "warn"});
  CHECK(s.status == 0);
  CHECK(contains(s.err, "poststart hook `" + bad.path + "`: exited with status 1"));
  CHECK(contains(rt({"state", "warn"}).out, "\"running\""));
  Result d = rt({"delete", "-f", "warn"});
  CHECK(d.status == 0);
  CHECK(contains(d.err, "poststop hook `" + bad.path + "`: exited with status 1"));
  CHECK(log.kinds() == std::vector<std::string>{"poststart", "poststop"});
}
