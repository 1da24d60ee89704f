#include "util/unix_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>

#include "util/error.hpp"

namespace boxrt {
namespace {

// The socket and its address; an empty socket when the path doesn't fit.
unique_fd open_unix(const std::string& path, int type, struct sockaddr_un& addr) {
  addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return {};
  }
  path.copy(addr.sun_path, path.size());
  return unique_fd(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
}

}  // namespace

unique_fd connect_unix(const std::string& path, int type) {
  struct sockaddr_un addr;
  unique_fd fd = open_unix(path, type, addr);
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
  unique_fd fd = open_unix(path, type, addr);
  if (fd && ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fd.reset();
  return fd;
}

unique_fd listen_unix(const std::string& path, int type, int backlog) {
  struct sockaddr_un addr;
  unique_fd fd = open_unix(path, type, addr);
  if (fd && (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
             ::listen(fd.get(), backlog) != 0))
    fd.reset();
  return fd;
}

}  // namespace boxrt
