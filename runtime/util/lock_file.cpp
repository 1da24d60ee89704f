#include "util/lock_file.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxrt {

std::optional<FileLock> FileLock::lock(const std::string& path, Mode mode, bool wait) {
  unique_fd fd = open_file(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600);
  int op = (mode == Mode::shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB);
  if (retry_eintr([&] { return ::flock(fd.get(), op); }) != 0) {
    if (!wait && errno == EWOULDBLOCK) return std::nullopt;
    throw_errno("lock " + backquoted(path));
  }
  return FileLock(std::move(fd), path);
}

FileLock FileLock::acquire(const std::string& path, Mode mode) {
  return std::move(*lock(path, mode, true));
}

std::optional<FileLock> FileLock::try_acquire(const std::string& path, Mode mode) {
  return lock(path, mode, false);
}

}  // namespace boxrt
