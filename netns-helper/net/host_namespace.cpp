#include "net/host_namespace.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "ns/session.hpp"
#include "util/error.hpp"
#include "util/fd_passing.hpp"
#include "util/lock_file.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"
#include "util/unix_socket.hpp"

namespace boxnet {
namespace {

using boxrt::Error;
using boxrt::unique_fd;

unique_fd ask_holder() {
  unique_fd conn = boxrt::connect_unix(holder_socket(), SOCK_SEQPACKET);
  if (!conn) return {};
  return unique_fd(boxrt::receive_fd_raw(conn.get()));
}

// Runs `boxapp-netns daemon`, detached from us: not linked into boxapp, since libnftables
// is a shared object every box's start would load.
[[noreturn]] void exec_holder(int ready_fd, void*) {
  const std::string bin = helper_binary(), fd = std::to_string(ready_fd);
  ::fcntl(ready_fd, F_SETFD, 0);
  const char* argv[] = {bin.c_str(), "daemon", "--ready-fd", fd.c_str(), nullptr};
  ::execvp(argv[0], const_cast<char**>(argv));
  const std::string why = "run " + boxrt::backquoted(bin) + ": " + strerror(errno) +
                          " (boxapp-netns is installed beside boxapp, or on PATH)";
  (void)!::write(ready_fd, why.data(), why.size());
  ::_exit(127);
}

// Starts the holder and waits until it listens; its error, if it fails, is ours.
void start_holder() {
  unique_fd ready_r = boxrt::spawn_detached(exec_holder, nullptr);
  char why[512];
  ssize_t n = boxrt::retry_eintr([&] { return ::read(ready_r.get(), why, sizeof why); });
  if (n > 0)
    throw Error("network: the bridge's namespace: " + std::string(why, static_cast<size_t>(n)));
}

}  // namespace

pid_t holder_pid() {
  unique_fd conn = boxrt::connect_unix(holder_socket(), SOCK_SEQPACKET);
  struct ucred peer = {};
  socklen_t len = sizeof peer;
  if (!conn || ::getsockopt(conn.get(), SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0) return 0;
  return peer.pid;
}

unique_fd running_host_namespace() {
  return ask_holder();
}

unique_fd host_namespace(bool* started) {
  if (started) *started = false;
  if (unique_fd ns = ask_holder()) return ns;
  boxrt::make_dirs(boxrt::session_dir(), 0700);  // real root has no session made for it
  boxrt::FileLock lock = boxrt::FileLock::acquire(holder_lock());
  if (unique_fd ns = ask_holder()) return ns;  // another start won the race
  start_holder();
  if (started) *started = true;
  if (unique_fd ns = ask_holder()) return ns;
  throw Error("network: the holder of the bridge's namespace did not answer on " +
              boxrt::backquoted(holder_socket()));
}

}  // namespace boxnet
