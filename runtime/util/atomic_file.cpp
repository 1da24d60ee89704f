#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

// A name in `dir` for the new inode while it waits for the rename: hidden, and unique per
// process and call so that concurrent writers don't collide.
std::string temp_name(const std::string& path) {
  static unsigned counter = 0;
  return dir_name(path) + "/." + base_name(path) + ".tmp" + std::to_string(::getpid()) + "-" +
         std::to_string(++counter);
}

// Removes a temporary name unless disarmed (after a successful rename).
struct UnlinkGuard {
  std::string path;
  ~UnlinkGuard() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

void write_contents(int fd, std::string_view data, mode_t mode, const std::string& path,
                    bool sync) {
  write_all(fd, data, backquoted(path));
  // fchmod rather than relying on the open mode: the umask must not weaken or widen it.
  check(::fchmod(fd, mode), "chmod " + backquoted(path));
  if (sync) check(retry_eintr([&] { return ::fsync(fd); }), "fsync " + backquoted(path));
}

}  // namespace

void write_file_atomic(const std::string& path, std::string_view data, mode_t mode,
                       Durability durability) {
  const bool sync = durability == Durability::synced;
  const std::string dir = dir_name(path);
  const std::string tmp = temp_name(path);
  UnlinkGuard guard;

  int raw = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  if (raw >= 0) {
    unique_fd fd(raw);
    write_contents(fd.get(), data, mode, path, sync);
    // Give the finished inode a name. linkat through /proc needs no privilege (AT_EMPTY_PATH
    // would need CAP_DAC_READ_SEARCH).
    std::string proc_path = "/proc/self/fd/" + std::to_string(fd.get());
    if (::linkat(AT_FDCWD, proc_path.c_str(), AT_FDCWD, tmp.c_str(), AT_SYMLINK_FOLLOW) != 0)
      throw_errno("link temporary file for " + backquoted(path));
  } else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
    unique_fd fd = open_file(tmp, O_WRONLY | O_CREAT | O_EXCL, mode);
    guard.path = tmp;
    write_contents(fd.get(), data, mode, path, sync);
  } else {
    throw_errno("create temporary file in " + backquoted(dir));
  }
  guard.path = tmp;

  check(::rename(tmp.c_str(), path.c_str()),
        "rename " + backquoted(tmp) + " to " + backquoted(path));
  guard.path.clear();
  if (!sync) return;
  // The rename is durable only once the directory entry is.
  unique_fd dfd = open_file(dir, O_RDONLY | O_DIRECTORY);
  check(retry_eintr([&] { return ::fsync(dfd.get()); }), "fsync " + backquoted(dir));
}

}  // namespace boxrt
