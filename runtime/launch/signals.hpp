// A foreground runtime stands in for its container: the signals it gets go to the
// container's process, and it returns that process's exit status as a shell reports it.
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace boxrt {

// Blocks the signals a foreground runtime forwards to its container, for the lifetime of
// the object (the child resets its mask before exec).
class ForwardedSignals {
 public:
  ForwardedSignals();
  ~ForwardedSignals();
  ForwardedSignals(const ForwardedSignals&) = delete;
  ForwardedSignals& operator=(const ForwardedSignals&) = delete;
  // Forwards signals to pidfd's process until `pid` (our child) exits; its exit status as a
  // shell reports it (128+N when killed by signal N). With a pty master, also relays
  // between it and our stdin/stdout (our terminal in raw mode meanwhile) and passes on
  // window size changes.
  int wait_forwarding(pid_t pid, int pidfd, int pty_master = -1);

 private:
  sigset_t set_, old_;
};

}  // namespace boxrt
