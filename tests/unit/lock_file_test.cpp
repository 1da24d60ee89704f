#include "util/lock_file.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "test_support.hpp"
#include "util/sys.hpp"

using namespace boxrt;
using Mode = FileLock::Mode;

namespace {

// A child process that takes the lock, reports on `ready`, and holds it until `release`
// becomes readable (or dies with the lock held when `die` is set).
struct Holder {
  pid_t pid = -1;
  int ready[2], release[2];

  Holder(const std::string& path, Mode mode, bool die = false) {
    REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(release, O_CLOEXEC) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      auto lock = FileLock::acquire(path, mode);
      char c = 'r';
      (void)!::write(ready[1], &c, 1);
      if (die) ::_exit(0);  // the kernel releases the lock with the descriptor
      (void)!::read(release[0], &c, 1);
      ::_exit(0);
    }
    char c;
    REQUIRE(::read(ready[0], &c, 1) == 1);
  }
  void let_go() {
    char c = 'g';
    (void)!::write(release[1], &c, 1);
    int status;
    ::waitpid(pid, &status, 0);
  }
  ~Holder() {
    for (int fd : {ready[0], ready[1], release[0], release[1]})
      ::close(fd);
  }
};

}  // namespace

TEST_CASE("an exclusive lock held by another process blocks try_acquire until released") {
  testing::TempDir dir;
  std::string path = dir / "c1.lock";
  Holder other(path, Mode::exclusive);
  CHECK_FALSE(FileLock::try_acquire(path).has_value());
  CHECK_FALSE(FileLock::try_acquire(path, Mode::shared).has_value());
  other.let_go();
  auto mine = FileLock::try_acquire(path);
  REQUIRE(mine.has_value());
  CHECK(mine->is_held());
}

TEST_CASE("shared locks coexist, and exclude an exclusive one") {
  testing::TempDir dir;
  std::string path = dir / "c2.lock";
  Holder reader(path, Mode::shared);
  auto mine = FileLock::try_acquire(path, Mode::shared);
  CHECK(mine.has_value());
  mine.reset();
  CHECK_FALSE(FileLock::try_acquire(path, Mode::exclusive).has_value());
  reader.let_go();
  CHECK(FileLock::try_acquire(path, Mode::exclusive).has_value());
}

TEST_CASE("acquire waits for the holder, and a dead holder's lock is freed") {
  testing::TempDir dir;
  std::string path = dir / "c3.lock";
  {
    Holder dying(path, Mode::exclusive, /*die=*/true);
    int status;
    ::waitpid(dying.pid, &status, 0);
    CHECK(FileLock::try_acquire(path).has_value());
  }
  Holder other(path, Mode::exclusive);
  pid_t releaser = ::fork();
  if (releaser == 0) {
    ::usleep(200 * 1000);
    char c = 'g';
    (void)!::write(other.release[1], &c, 1);
    ::_exit(0);
  }
  auto start = std::chrono::steady_clock::now();
  auto lock = FileLock::acquire(path);
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(lock.is_held());
  CHECK(waited >= std::chrono::milliseconds(150));
  int status;
  ::waitpid(releaser, &status, 0);
  ::waitpid(other.pid, &status, 0);
}

TEST_CASE("releasing a lock early lets another process in") {
  testing::TempDir dir;
  std::string path = dir / "c4.lock";
  auto lock = FileLock::acquire(path);
  pid_t child = ::fork();
  if (child == 0) ::_exit(FileLock::try_acquire(path).has_value() ? 1 : 0);
  int status;
  ::waitpid(child, &status, 0);
  CHECK(WEXITSTATUS(status) == 0);  // child saw it locked
  lock.release();
  child = ::fork();
  if (child == 0) ::_exit(FileLock::try_acquire(path).has_value() ? 0 : 1);
  ::waitpid(child, &status, 0);
  CHECK(WEXITSTATUS(status) == 0);  // and free after release
}
