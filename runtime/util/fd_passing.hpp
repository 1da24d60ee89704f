// Passing a descriptor over a unix socket (SCM_RIGHTS), as the console-socket protocol does.
#pragma once

#include "util/unique_fd.hpp"

namespace boxrt {

// No-throw and allocation-free: used by the container's init between clone and exec.
bool send_fd(int sock, int fd);

// Receives one descriptor (close-on-exec), or -1 with errno set (EBADMSG: a message without
// one). No-throw and allocation-free, for the init.
int receive_fd_raw(int sock);

// Receives one descriptor (close-on-exec); throws naming `what` when none comes.
unique_fd receive_fd(int sock, const char* what);

}  // namespace boxrt
