// The sync socket between the runtime and the process it cloned (a container's init, or a
// process joining a running container): one byte a message, in an order both sides know.
// The child side writes these itself (init/init.cpp), without allocating.
#pragma once

namespace boxrt {

// Messages on the sync socket, parent <-> child.
enum class SyncMsg : char {
  maps_written = 'M',  // parent → init: id maps are in place, go on
  ready = 'R',         // init → parent: set up, waiting to be started
  error = 'E',         // init → parent: followed by InitError
  exec_now = 'S',      // parent → init: run — exec at once
  wait_start = 'C',    // parent → init: create — wait on the start socket for `start`
  detached = 'A',      // init → parent: no longer tied to the parent's life; it may exit
  hook_stop = 'H',     // init → parent: namespaces and mounts are set up, before pivot_root
  hooks_done = 'h',    // parent → init: prestart and createRuntime hooks ran; go on
};

// What follows SyncMsg::error (and what `start` reads from the start socket after a failure).
struct InitError {
  int err = 0;  // errno, 0 when none
  char msg[480] = {};
};

// The parent's side.
void send_msg(int sync_fd, SyncMsg msg);
// Reads the child's answer: returns on `want`; throws the child's own error when it sent
// one, or says it died `when`. want == SyncMsg::error means "EOF is success" (after exec).
void expect_msg(int sync_fd, SyncMsg want, const char* when);

// The child's side, allocation-free: SyncMsg::error followed by `error`, then _exit(status).
[[noreturn]] void report_error_and_exit(int sync_fd, const InitError& error, int status);

}  // namespace boxrt
