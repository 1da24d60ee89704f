#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <cerrno>

using boxrt::Error;

TEST_CASE("sys_error names the call, the object and the errno text") {
  Error e = boxrt::sys_error(ENOENT, "open `/nope`");
  CHECK(std::string(e.what()) == "open `/nope`: No such file or directory");
  CHECK(e.code() == ENOENT);
}

TEST_CASE("context is prepended outermost first and keeps errno") {
  Error e = boxrt::sys_error(EACCES, "mount `/dev/snd`");
  e.add_context("prepare rootfs");
  e.add_context("create container `web`");
  CHECK(std::string(e.what()) ==
        "create container `web`: prepare rootfs: mount `/dev/snd`: Permission denied");
  CHECK(e.code() == EACCES);
  CHECK(e.detail() == "mount `/dev/snd`: Permission denied");
  REQUIRE(e.context().size() == 2);
  CHECK(e.context()[0] == "create container `web`");
}

TEST_CASE("throw_errno throws the current errno") {
  errno = EBUSY;
  try {
    boxrt::throw_errno("umount `/x`");
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(e.code() == EBUSY);
    CHECK(std::string(e.what()) == "umount `/x`: Device or resource busy");
  }
}

TEST_CASE("an error without a system call has errno 0") {
  Error e("bundle has no config.json");
  CHECK(e.code() == 0);
  CHECK(std::string(e.what()) == "bundle has no config.json");
}
