// Unix sockets by path: a connection to one, or one listening. Close-on-exec, of the type
// given (SOCK_SEQPACKET, SOCK_STREAM, optionally | SOCK_NONBLOCK).
#pragma once

#include <string>

#include "util/unique_fd.hpp"

namespace boxrt {

// Empty, with errno set, when it can't be (ENAMETOOLONG for a path that doesn't fit).
unique_fd connect_unix(const std::string& path, int type);
// The same, throwing: "connect to WHAT `PATH`: Connection refused", or "WHAT path too long".
unique_fd connect_unix_named(const std::string& path, int type, const std::string& what);
unique_fd listen_unix(const std::string& path, int type, int backlog = 16);
// Bound, not listening: a datagram socket's receiving end.
unique_fd bind_unix(const std::string& path, int type);

}  // namespace boxrt
