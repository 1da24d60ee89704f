#include "launch/sync.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxrt {

void send_msg(int sync_fd, SyncMsg msg) {
  char c = static_cast<char>(msg);
  if (::send(sync_fd, &c, 1, MSG_NOSIGNAL) == 1) return;
  const int err = errno;
  // The child is gone: it failed, and its error waits in our end of the socket.
  if (err == EPIPE || err == ECONNRESET) expect_msg(sync_fd, SyncMsg::error, "during setup");
  throw sys_error(err, "signal the container process");
}

void expect_msg(int sync_fd, SyncMsg want, const char* when) {
  char buf[1 + sizeof(InitError)];
  ssize_t n = retry_eintr([&] { return ::read(sync_fd, buf, sizeof buf); });
  if (n == 1 && buf[0] == static_cast<char>(want)) return;
  if (n == static_cast<ssize_t>(sizeof buf) && buf[0] == static_cast<char>(SyncMsg::error)) {
    InitError e;
    std::memcpy(&e, buf + 1, sizeof e);
    e.msg[sizeof e.msg - 1] = '\0';
    if (e.err) throw sys_error(e.err, e.msg);
    throw Error(e.msg);
  }
  if (n == 0 && want == SyncMsg::error) return;  // EOF: exec closed the socket
  throw Error(std::string("the container process died ") + when);
}

void report_error_and_exit(int sync_fd, const InitError& error, int status) {
  char buf[1 + sizeof(InitError)];
  buf[0] = static_cast<char>(SyncMsg::error);
  __builtin_memcpy(buf + 1, &error, sizeof(InitError));
  (void)!::write(sync_fd, buf, sizeof buf);
  ::_exit(status);
}

}  // namespace boxrt
