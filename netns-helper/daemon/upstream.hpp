// The way out: a user-mode stack (pasta or slirp4netns) with its tap device in the network
// host namespace. It must run in the host's network namespace, which the holder leaves, so
// a keeper process forked before it does stays there and (re)starts the stack.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "net/config.hpp"
#include "util/unique_fd.hpp"

namespace boxnet {

// The stack's command line: its tap `up0` configured in the namespace at
// /proc/self/fd/NS_FD with kUpstreamLink's addresses, in the foreground, forwarding no
// port of its own (published ports are ours).
std::vector<std::string> upstream_argv(const NetworkConfig& c, int ns_fd);

// What the keeper says to the holder, one message each: "start PID" once the stack runs,
// "exit WHY" when it ended (it starts again after a pause that doubles up to a minute).
struct Keeper {
  pid_t pid = 0;
  boxrt::unique_fd sock;  // SOCK_SEQPACKET; send it the namespace's fd to begin
};
// Forks the keeper, which dies with us (PR_SET_PDEATHSIG) and takes the stack with it.
Keeper start_keeper(const NetworkConfig& c);

}  // namespace boxnet
