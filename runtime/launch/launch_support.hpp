// Pieces shared by create/run and exec: talking to the child over the sync socket, the
// console socket, pid files, and waiting for a foreground process.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>

#include "init/init.hpp"
#include "oci/state.hpp"
#include "util/unique_fd.hpp"

namespace boxrt {

void send_msg(int sync_fd, SyncMsg msg);
// Reads the child's answer: returns on `want`; throws the child's own error when it sent
// one, or says it died `when`. want == SyncMsg::error means "EOF is success" (after exec).
void expect_msg(int sync_fd, SyncMsg want, const char* when);

unique_fd connect_console_socket(const std::string& path);

// A console socket the runtime keeps for itself, for a foreground process with a terminal
// and no --console-socket: the child sends its pty master here and the runtime relays.
struct OwnConsole {
  unique_fd ours, theirs;
  OwnConsole();
  unique_fd receive_master();  // after the child has set up its terminal
};
void write_pid_file(const std::string& path, pid_t pid);

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

// The seccomp agent of a filter with notify actions: a socket connected to
// linux.seccomp.listenerPath, and a memfd with the container process state the init sends
// along with the notify fd. Empty when the filter has no notify action.
struct SeccompAgent {
  unique_fd socket, state;
};
SeccompAgent connect_seccomp_agent(const oci::Spec& spec, const InitPlan& plan);
// Once the process's pid is known.
void write_agent_state(const SeccompAgent& agent, const oci::Spec& spec, const oci::State& state,
                       pid_t pid);

// A file path made absolute against the current directory.
std::string absolute_path(const std::string& path);

}  // namespace boxrt
