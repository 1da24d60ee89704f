// Bad input: one clear line naming the problem, a non-zero exit, and nothing left behind.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "harness.hpp"
#include "util/sys.hpp"

using namespace itest;

namespace {

// Runs `run` on the bundle and checks the one-line error, the exit status and the cleanup.
void expect_failure(const Bundle& b, const std::string& expected_error) {
  Runtime rt;
  Result r = rt({"run", "-b", b.path(), "bad"});
  CHECK(r.status == 1);
  CHECK(r.err == "boxapp-runtime: " + expected_error + "\n");
  CHECK(r.out.empty());
  CHECK(rt.leftovers().empty());
}

}  // namespace

TEST_CASE("a missing bundle is named") {
  Runtime rt;
  Result r = rt({"run", "-b", "/nonexistent/bundle", "bad"});
  CHECK(r.status == 1);
  CHECK(r.err == "boxapp-runtime: bundle `/nonexistent/bundle` does not exist\n");
  CHECK(rt.leftovers().empty());
}

TEST_CASE("a bundle without config.json is named") {
  Bundle b;
  expect_failure(b, "bundle `" + b.path() + "` has no config.json");
}

TEST_CASE("malformed config.json: file, line and column") {
  Bundle b;
  std::ofstream(b.path() + "/config.json") << "{\n  \"ociVersion\": \"1.0.0\",\n  \"root\": }\n";
  expect_failure(b, b.path() +
                        "/config.json:3:11: invalid JSON: syntax error while parsing "
                        "value - unexpected '}'; expected '[', '{', or a literal");
}

TEST_CASE("invalid config.json: file and JSON path") {
  Bundle b;
  b.spec.linux->uid_mappings->at(0).size = 0;
  b.write();
  expect_failure(b, b.path() + "/config.json: linux.uidMappings[0].size: must be > 0");
}

TEST_CASE("args[0] that is not in the rootfs") {
  Bundle b;
  b.spec.process->args = oci::StringList{"chromium", "--headless"};
  b.write();
  expect_failure(b,
                 "process.args[0]: chromium not found in the container "
                 "(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin): No such "
                 "file or directory");
}

TEST_CASE("an absolute args[0] that is missing") {
  Bundle b;
  b.spec.process->args = oci::StringList{"/usr/bin/nothing"};
  b.write();
  expect_failure(b, "process.args[0]: /usr/bin/nothing: No such file or directory");
}

TEST_CASE("a bind mount source that does not exist") {
  Bundle b;
  oci::Mount m;
  m.destination = "/data";
  m.type = "bind";
  m.source = "/nonexistent/data";
  m.options = oci::StringList{"rbind"};
  b.spec.mounts->push_back(m);
  b.write();
  expect_failure(b, "mounts[" + std::to_string(b.spec.mounts->size() - 1) +
                        "].source: `/nonexistent/data`: No such file or directory");
}

TEST_CASE("a missing rootfs") {
  Bundle b;
  b.spec.root->path = "no-rootfs";
  b.write();
  expect_failure(b, "root.path: `" + b.path() + "/no-rootfs`: No such file or directory");
}

TEST_CASE("a cwd that can't be made in the rootfs") {
  // A missing one is made, as runc makes it; one below a file can't be.
  Bundle b;
  b.spec.process->cwd = "/bin/busybox/dir";
  b.write();
  expect_failure(b, "process.cwd: chdir /bin/busybox/dir: Not a directory");
}

TEST_CASE("a duplicate id is refused and the first container is untouched") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"sleep", "30"};
  b.write();
  REQUIRE(rt({"create", "-b", b.path(), "twice"}).status == 0);
  Result r = rt({"create", "-b", b.path(), "twice"});
  CHECK(r.status == 1);
  CHECK(r.err == "boxapp-runtime: container `twice` already exists\n");
  CHECK(json::parse(rt({"state", "twice"}).out)["status"] == "created");
  rt({"delete", "-f", "twice"});
}

TEST_CASE("an invalid id is refused before anything is created") {
  Runtime rt;
  Bundle b;
  b.write();
  Result r = rt({"run", "-b", b.path(), "../escape"});
  CHECK(r.status == 1);
  CHECK(r.err.find("invalid container id `../escape`") != std::string::npos);
  CHECK(rt.leftovers().empty());
}

TEST_CASE("unknown ids: every command says does not exist") {
  Runtime rt;
  for (auto cmd : {std::vector<std::string>{"state", "ghost"},
                   {"start", "ghost"},
                   {"kill", "ghost"},
                   {"delete", "ghost"},
                   {"ps", "ghost"},
                   {"pause", "ghost"}}) {
    Result r = rt(cmd);
    INFO(cmd[0]);
    CHECK(r.status == 1);
    CHECK(r.err == "boxapp-runtime: container `ghost` does not exist\n");
  }
  CHECK(rt({"delete", "-f", "ghost"}).status == 0);  // as runc: --force of nothing succeeds
}

TEST_CASE("a failed create leaves no process behind") {
  Runtime rt;
  Bundle b;
  b.spec.process->args = oci::StringList{"/not/there"};
  b.spec.annotations = oci::StringMap{{"org.boxapp.test", b.path()}};
  b.write();
  REQUIRE(rt({"create", "-b", b.path(), "orphan"}).status == 1);
  // No process may still have the bundle's rootfs as its root.
  auto r = run_process({"/bin/sh", "-c", "for p in /proc/[0-9]*; do readlink $p/root; done"});
  CHECK(r.out.find(b.rootfs()) == std::string::npos);
  CHECK(rt.leftovers().empty());
}
