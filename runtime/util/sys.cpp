#include "util/sys.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "util/error.hpp"

namespace boxrt {

unique_fd open_at(int dirfd, const std::string& path, int flags, mode_t mode) {
  int fd = retry_eintr([&] { return ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode); });
  if (fd < 0) throw_errno("open " + backquoted(path));
  return unique_fd(fd);
}

std::string read_all(int fd, std::string_view what) {
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = retry_eintr([&] { return ::read(fd, buf, sizeof buf); });
    if (n < 0) throw_errno("read " + std::string(what));
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

std::optional<std::string> try_read_file(const std::string& path) {
  // No exception for a file that isn't there: a process's first throw costs ~0.3 ms (the
  // unwinder loads its tables), and a start looks for files that often aren't.
  unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  try {
    return read_all(fd.get(), backquoted(path));
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::string read_file(const std::string& path) {
  unique_fd fd = open_file(path, O_RDONLY);
  return read_all(fd.get(), backquoted(path));
}

void write_all(int fd, std::string_view data, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = retry_eintr([&] { return ::write(fd, data.data(), data.size()); });
    if (n < 0) throw_errno("write " + std::string(what));
    data.remove_prefix(static_cast<size_t>(n));
  }
}

std::string dir_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool path_exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

std::string find_on_path(const std::string& program) {
  const char* env = std::getenv("PATH");
  const std::string path = std::string(env ? env : "/usr/bin:/bin") + ":/usr/sbin:/sbin";
  for (size_t at = 0; at <= path.size();) {
    size_t end = path.find(':', at);
    if (end == std::string::npos) end = path.size();
    const std::string dir = end > at ? path.substr(at, end - at) : ".";
    const std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    at = end + 1;
  }
  return "";
}

void make_dirs(const std::string& path, mode_t mode) {
  for (size_t i = 1; i <= path.size(); ++i)
    if (i == path.size() || path[i] == '/')
      if (::mkdir(path.substr(0, i).c_str(), mode) != 0 && errno != EEXIST)
        throw_errno("create " + backquoted(path.substr(0, i)));
}

std::string absolute_path(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (!::getcwd(cwd, sizeof cwd)) throw_errno("getcwd");
  return path.empty() || path == "." ? std::string(cwd) : std::string(cwd) + "/" + path;
}

}  // namespace boxrt
