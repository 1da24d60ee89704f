#include "util/unix_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>

#include "util/error.hpp"

namespace boxrt {
namespace {

// The socket and its address; an empty socket when the path doesn't fit even so. A path
// too long for sun_path (a deep --root) is reached through /proc/self/fd/N of its directory,
// which `dir` holds until the bind or connect is done.
unique_fd open_unix(const std::string& path, int type, struct sockaddr_un& addr, unique_fd& dir) {
  addr = {};
  addr.sun_family = AF_UNIX;
  std::string name = path;
  const size_t slash = path.rfind('/');
  if (path.size() >= sizeof addr.sun_path && slash != std::string::npos && slash > 0) {
    dir.reset(::open(path.substr(0, slash).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return {};
    name = "/proc/self/fd/" + std::to_string(dir.get()) + path.substr(slash);
  }
  if (name.size() >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return {};
  }
  name.copy(addr.sun_path, name.size());
  return unique_fd(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
}

}  // namespace

unique_fd connect_unix(const std::string& path, int type) {
  struct sockaddr_un addr;
  unique_fd dir;
  unique_fd fd = open_unix(path, type, addr, dir);
  if (fd && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fd.reset();
  return fd;
}

unique_fd connect_unix_named(const std::string& path, int type, const std::string& what) {
  unique_fd fd = connect_unix(path, type);
  if (!fd && errno == ENAMETOOLONG) throw Error(what + " path too long: " + backquoted(path));
  if (!fd) throw_errno("connect to " + what + " " + backquoted(path));
  return fd;
}

unique_fd bind_unix(const std::string& path, int type) {
  struct sockaddr_un addr;
  unique_fd dir;
  unique_fd fd = open_unix(path, type, addr, dir);
  if (fd && ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fd.reset();
  return fd;
}

unique_fd listen_unix(const std::string& path, int type, int backlog) {
  struct sockaddr_un addr;
  unique_fd dir;
  unique_fd fd = open_unix(path, type, addr, dir);
  if (fd && (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
             ::listen(fd.get(), backlog) != 0))
    fd.reset();
  return fd;
}

}  // namespace boxrt
