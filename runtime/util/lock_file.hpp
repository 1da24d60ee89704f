// Advisory whole-file locks (flock) on a lock file, held for the lifetime of the object.
// flock locks belong to the open file description, so a lock is released when the
// descriptor closes, including when the holder dies; they don't leak across exec because
// the descriptor is O_CLOEXEC.
#pragma once

#include <optional>
#include <string>

#include "util/unique_fd.hpp"

namespace boxrt {

class FileLock {
 public:
  enum class Mode { shared, exclusive };

  // Opens (creating it 0600 if missing) and locks `path`, waiting for other holders.
  static FileLock acquire(const std::string& path, Mode mode = Mode::exclusive);
  // As acquire, but returns nullopt at once if another holder has a conflicting lock.
  static std::optional<FileLock> try_acquire(const std::string& path, Mode mode = Mode::exclusive);

  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;

  bool is_held() const noexcept { return fd_.is_open(); }
  const std::string& path() const noexcept { return path_; }
  // Unlocks early; the destructor does the same.
  void release() noexcept { fd_.reset(); }

 private:
  FileLock(unique_fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  static std::optional<FileLock> lock(const std::string& path, Mode mode, bool wait);

  unique_fd fd_;
  std::string path_;
};

}  // namespace boxrt
