// The socket a created container's init waits on until `start` (STATE/ID/start.sock). The
// init answers two requests on it: go on to exec (`start`), and hand over the namespaces
// it is in (`exec` into it before it starts, which tools that set a container up from inside
// rely on).
//
// A socket rather than runc's exec.fifo, for the second request: until it execs, the init
// is not dumpable (CVE-2019-5736), which closes its /proc/PID/ns files to a plain user's
// runtime; the init hands them over itself, to whoever reaches the socket. The state
// directory (0700) and the socket (0600) keep that to the runtime's own user, who could join
// the container once it runs anyway.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "util/unique_fd.hpp"

namespace boxrt {

enum class StartRequest : char {
  start = 's',       // go on: run startContainer hooks and exec
  namespaces = 'n',  // send the namespaces and root, keep waiting
};

// create: bound and listening before clone; the init inherits it.
unique_fd listen_start_socket(const std::string& path);

// start: the request made. The init's answer comes on the socket returned: one byte once it
// is past the wait, then EOF at execve, or an InitError (launch/sync.hpp) instead.
unique_fd request_start(const std::string& path);

struct InitNamespaces {
  std::vector<std::pair<int, unique_fd>> nss;  // CLONE_NEW* flag, descriptor
  unique_fd root;                              // its "/"
};
// exec: the init's namespaces and root. Empty when the init no longer waits (started in the
// meantime, or gone); its /proc files are then open to us or there is nothing to join.
std::optional<InitNamespaces> request_namespaces(const std::string& path);

// The init's answer to StartRequest::namespaces: descriptors with their flags (0 for the
// root). Allocation-free.
bool send_namespaces(int conn, const int* fds, const int* flags, size_t count);

}  // namespace boxrt
