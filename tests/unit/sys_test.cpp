#include "util/sys.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace boxrt;

TEST_CASE("open_file always sets close-on-exec") {
  testing::TempDir dir;
  unique_fd fd = open_file(dir / "f", O_WRONLY | O_CREAT, 0600);
  REQUIRE(fd.is_open());
  CHECK((::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC) != 0);
}

TEST_CASE("open of a missing file reports the path and the reason") {
  try {
    open_file("/nonexistent/boxapp/x", O_RDONLY);
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "open `/nonexistent/boxapp/x`: No such file or directory");
    CHECK(e.code() == ENOENT);
  }
}

TEST_CASE("write_all and read_file round-trip large data") {
  testing::TempDir dir;
  std::string data(1 << 20, 'x');
  for (size_t i = 0; i < data.size(); i += 4096)
    data[i] = static_cast<char>('a' + i % 26);
  {
    unique_fd fd = open_file(dir / "big", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    write_all(fd.get(), data, "big");
  }
  CHECK(read_file(dir / "big") == data);
}

TEST_CASE("unique_fd closes on destruction and on reset, not on release") {
  int raw;
  {
    unique_fd fd = open_file("/dev/null", O_RDONLY);
    raw = fd.get();
  }
  CHECK(::fcntl(raw, F_GETFD) == -1);
  unique_fd a = open_file("/dev/null", O_RDONLY);
  int kept = a.release();
  CHECK(!a.is_open());
  CHECK(::fcntl(kept, F_GETFD) != -1);
  a.reset(kept);
  unique_fd b = std::move(a);
  CHECK(!a.is_open());
  CHECK(b.get() == kept);
  b.reset();
  CHECK(::fcntl(kept, F_GETFD) == -1);
}

TEST_CASE("dir_name and base_name split paths") {
  CHECK(dir_name("/a/b/c.json") == "/a/b");
  CHECK(base_name("/a/b/c.json") == "c.json");
  CHECK(dir_name("c.json") == ".");
  CHECK(dir_name("/c") == "/");
  CHECK(base_name("c") == "c");
}
