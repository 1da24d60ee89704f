#include "util/atomic_file.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "test_support.hpp"
#include "util/sys.hpp"

using namespace boxrt;

namespace {

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  while (auto* e = ::readdir(d))
    if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
  ::closedir(d);
  return out;
}

}  // namespace

TEST_CASE("write_file_atomic creates, replaces and sets the mode exactly") {
  testing::TempDir dir;
  std::string path = dir / "state.json";
  mode_t old_umask = ::umask(077);
  write_file_atomic(path, "{\"a\":1}", 0644);
  ::umask(old_umask);
  CHECK(read_file(path) == "{\"a\":1}");
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);

  write_file_atomic(path, "{\"a\":2}", 0600);
  CHECK(read_file(path) == "{\"a\":2}");
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  // Nothing but the target is left in the directory.
  CHECK(entries(dir.path()) == std::vector<std::string>{"state.json"});
}

TEST_CASE("write_file_atomic into a missing directory names the directory") {
  try {
    write_file_atomic("/nonexistent-boxapp-dir/state.json", "x");
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("`/nonexistent-boxapp-dir`") != std::string::npos);
    CHECK(e.code() == ENOENT);
  }
}

TEST_CASE("a writer killed at any moment leaves the old or the new contents, never a mix") {
  testing::TempDir dir;
  std::string path = dir / "state.json";
  const size_t size = 4 << 20;
  const std::string a(size, 'A'), b(size, 'B');
  write_file_atomic(path, a);

  for (int round = 0; round < 15; ++round) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      for (int i = 0;; ++i)
        write_file_atomic(path, i % 2 ? a : b);
    }
    // Kill it somewhere inside a write: each write takes a few milliseconds.
    std::this_thread::sleep_for(std::chrono::microseconds(1500 + round * 700));
    ::kill(pid, SIGKILL);
    int status;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFSIGNALED(status));

    std::string got = read_file(path);
    REQUIRE(got.size() == size);
    bool uniform = got == a || got == b;
    CHECK(uniform);
  }
}
