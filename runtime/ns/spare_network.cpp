#include "ns/spare_network.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include "ns/session.hpp"
#include "util/error.hpp"
#include "util/fd_passing.hpp"
#include "util/log.hpp"
#include "util/unix_socket.hpp"

namespace boxrt {

std::string spare_network_socket() {
  return session_dir() + "/" + kSpareNetworkSocketName;
}

NetworkAhead NetworkAhead::ask() {
  NetworkAhead a;
  a.conn_ = connect_unix(spare_network_socket(), SOCK_SEQPACKET);
  return a;
}

std::optional<SpareNetwork> NetworkAhead::take() {
  if (!conn_) return std::nullopt;
  SpareNetwork s;
  s.net.reset(receive_fd_raw(conn_.get()));
  if (s.net) s.sysfs.reset(receive_fd_raw(conn_.get()));
  conn_.reset();
  if (!s.sysfs) {
    log_debug("the session had no spare network namespace; making one beside the init");
    return std::nullopt;
  }
  return s;
}

SpareNetworkService::SpareNetworkService(const std::string& path) {
  try {
    spare_ = make_spare_network();
  } catch (const Error&) {
    return;
  }
  ::unlink(path.c_str());
  listener_ = listen_unix(path, SOCK_SEQPACKET);
}

void SpareNetworkService::serve() {
  unique_fd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) return;
  if (spare_.net && send_fd(conn.get(), spare_.net.get())) send_fd(conn.get(), spare_.sysfs.get());
  conn.reset();  // no spare: the asker makes its own
  spare_ = {};
  try {
    spare_ = make_spare_network();
  } catch (const Error&) {
  }
}

}  // namespace boxrt
