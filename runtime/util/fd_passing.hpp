// Passing a descriptor over a unix socket (SCM_RIGHTS), as the console-socket protocol does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/unique_fd.hpp"

namespace boxrt {

// No-throw and allocation-free: used by the container's init between clone and exec.
bool send_fd(int sock, int fd);

// Several descriptors at once, with `len` (> 0) bytes of data saying what they are.
// Allocation-free, for the init.
constexpr size_t kMaxPassedFds = 16;
bool send_fds(int sock, const int* fds, size_t count, const void* data, size_t len);
// What send_fds sent: the descriptors (close-on-exec) and, in data, `got` bytes (0 on EOF
// or error, errno set for the latter).
std::vector<unique_fd> receive_fds(int sock, void* data, size_t len, size_t& got);

// One message on a SOCK_SEQPACKET (or stream) socket; a peer that is gone is false, never
// SIGPIPE.
bool send_message(int sock, std::string_view text);
// One message, waiting at most timeout_ms (-1: as long as it takes); empty on EOF, error or
// timeout.
std::string receive_message(int sock, int timeout_ms);

// Receives one descriptor (close-on-exec), or -1 with errno set (EBADMSG: a message without
// one). No-throw and allocation-free, for the init.
int receive_fd_raw(int sock);

// Receives one descriptor (close-on-exec); throws naming `what` when none comes.
unique_fd receive_fd(int sock, const char* what);

}  // namespace boxrt
