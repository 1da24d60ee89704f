// Thin wrappers over system calls: O_CLOEXEC always, EINTR retried, errors thrown as
// boxrt::Error naming the call and the object ("open `/run/x`: Permission denied").
#pragma once

#include <fcntl.h>
#include <sys/types.h>

#include <cerrno>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.hpp"
#include "util/unique_fd.hpp"

namespace boxrt {

// Calls f() until it stops failing with EINTR; returns its last result.
template <class F>
auto retry_eintr(F&& f) {
  decltype(f()) rc;
  do {
    rc = f();
  } while (rc == -1 && errno == EINTR);
  return rc;
}

// Returns rc, or throws sys_error(errno, what) when rc is -1.
template <class T>
T check(T rc, std::string_view what) {
  if (rc == -1) throw_errno(what);
  return rc;
}

// open(2)/openat(2) with O_CLOEXEC added. AT_FDCWD as dirfd means relative to the cwd.
unique_fd open_at(int dirfd, const std::string& path, int flags, mode_t mode = 0);
inline unique_fd open_file(const std::string& path, int flags, mode_t mode = 0) {
  return open_at(AT_FDCWD, path, flags, mode);
}

// Whole-file helpers. read_file reads until EOF; write_all loops over short writes.
std::string read_all(int fd, std::string_view what);
std::string read_file(const std::string& path);
// The same, or nullopt when the file can't be read (gone, not there, no permission).
std::optional<std::string> try_read_file(const std::string& path);
void write_all(int fd, std::string_view data, std::string_view what);

// The directory part of a path ("." when there is none) and the last component.
std::string dir_name(const std::string& path);
std::string base_name(const std::string& path);

// A path made absolute against the current directory ("" and "." are the directory itself).
std::string absolute_path(const std::string& path);

// Whether anything is at `path` (following symlinks).
bool path_exists(const std::string& path);

// Where `program` is: on PATH, else in /usr/sbin or /sbin (daemons such as dnsmasq live
// there, and a plain user's PATH often lacks them); empty when nowhere.
std::string find_on_path(const std::string& program);

// mkdir -p: each missing component of an absolute path, with `mode`.
void make_dirs(const std::string& path, mode_t mode);

}  // namespace boxrt
