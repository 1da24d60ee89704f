#include "launch/start_socket.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "util/error.hpp"
#include "util/fd_passing.hpp"
#include "util/sys.hpp"
#include "util/unix_socket.hpp"

namespace boxrt {

unique_fd listen_start_socket(const std::string& path) {
  unique_fd sock = listen_unix(path, SOCK_STREAM, 8);
  if (!sock) throw_errno("listen on " + backquoted(path));
  if (::chmod(path.c_str(), 0600) != 0) throw_errno("chmod " + backquoted(path));
  return sock;
}

namespace {

unique_fd send_request(const std::string& path, StartRequest req) {
  unique_fd sock = connect_unix(path, SOCK_STREAM);
  if (!sock) return {};
  const char c = static_cast<char>(req);
  if (::send(sock.get(), &c, 1, MSG_NOSIGNAL) != 1) return {};
  return sock;
}

}  // namespace

unique_fd request_start(const std::string& path) {
  unique_fd sock = send_request(path, StartRequest::start);
  if (!sock) throw_errno("reach the container's init at " + backquoted(path));
  return sock;
}

std::optional<InitNamespaces> request_namespaces(const std::string& path) {
  unique_fd sock = send_request(path, StartRequest::namespaces);
  if (!sock) return std::nullopt;
  int32_t flags[kMaxPassedFds];
  size_t got = 0;
  std::vector<unique_fd> fds = receive_fds(sock.get(), flags, sizeof flags, got);
  // EOF: the init was started meanwhile, and closed the socket at execve.
  if (got == 0 || got % sizeof(int32_t) != 0 || fds.size() != got / sizeof(int32_t))
    return std::nullopt;
  InitNamespaces out;
  for (size_t i = 0; i < fds.size(); ++i) {
    if (flags[i] == 0)
      out.root = std::move(fds[i]);
    else
      out.nss.emplace_back(flags[i], std::move(fds[i]));
  }
  return out;
}

bool send_namespaces(int conn, const int* fds, const int* flags, size_t count) {
  int32_t data[kMaxPassedFds];
  if (count == 0 || count > kMaxPassedFds) return false;
  for (size_t i = 0; i < count; ++i)
    data[i] = flags[i];
  return send_fds(conn, fds, count, data, sizeof(int32_t) * count);
}

}  // namespace boxrt
