// start: lets a created container's init go on to exec its process.
#include <poll.h>
#include <unistd.h>

#include <cstring>

#include "init/init.hpp"
#include "launch/notify_socket.hpp"
#include "launch/start_socket.hpp"
#include "lifecycle/container.hpp"
#include "lifecycle/hooks.hpp"
#include "lifecycle/runtime.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxrt {

namespace {

// Asks the waiting init to go on, and reads its answer to EOF: one byte once it is past the
// wait, then EOF at execve, or its error. Returns that error, or empty once the container's
// process runs.
std::string read_start_answer(const std::string& id, unique_fd pidfd,
                              const std::string& socket_path) {
  unique_fd sock = request_start(socket_path);
  struct pollfd p[2] = {{sock.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
  bool started = false;
  std::string error;
  for (;;) {
    // Before the first byte, only a dead or stuck init keeps us waiting; after it,
    // startContainer hooks may take their time (they have timeouts of their own).
    int n = retry_eintr([&] { return ::poll(p, started ? 1 : 2, started ? -1 : 10000); });
    if (n <= 0) throw Error("start " + backquoted(id) + ": the container init did not answer");
    if (p[0].revents & (POLLIN | POLLHUP)) {
      char buf[sizeof(InitError) + 1];
      ssize_t got = ::read(sock.get(), buf, sizeof buf);
      if (got > 0) {
        error.append(buf + (started ? 0 : 1), buf + got);
        started = true;
        continue;
      }
      if (got == 0 && started) break;
    }
    if (!started && p[1].revents & POLLIN)
      throw Error("container " + backquoted(id) + " died before it started");
  }
  if (error.size() < sizeof(InitError)) return "";
  InitError e;
  std::memcpy(&e, error.data(), sizeof e);
  e.msg[sizeof e.msg - 1] = '\0';
  return e.err ? std::string(e.msg) + ": " + std::strerror(e.err) : std::string(e.msg);
}

}  // namespace

void Runtime::start(const std::string& id) {
  validate_id(id);
  FileLock lock = store_.lock(id);
  ContainerRecord r = store_.load(id);
  oci::Status st = live_status(store_, r);
  if (st != oci::Status::created)
    throw Error("container " + backquoted(id) + " is " + std::string(oci::to_string(st)) +
                ", not created: only a created container can be started");
  // Bound before the process runs, which may say READY=1 at once.
  unique_fd notify;
  if (!caller_notify_socket().empty()) notify = bind_notify_socket(store_.dir_of(id));
  std::string failure = read_start_answer(id, init_pidfd(r), store_.start_socket_of(id));
  // A reaper goes on answering `exec` on it (init/reaper.cpp).
  if (!asks_for_reaper(r.state.annotations) ||
      ::rename(store_.start_socket_of(id).c_str(), store_.namespaces_socket_of(id).c_str()) != 0)
    ::unlink(store_.start_socket_of(id).c_str());
  if (!failure.empty()) {
    // A startContainer hook failed: the init is gone, and the container is destroyed
    // (runtime-spec lifecycle steps 12 and 13).
    destroy(r);
    throw Error("start " + backquoted(id) + ": " + failure);
  }
  // As runc's start: returns once the process says it is ready, when asked to tell.
  if (notify)
    relay_ready(notify.get(), init_pidfd(r).get(), *r.state.pid, caller_notify_socket(), true);
  r.state.status = oci::Status::running;
  run_hooks_warning("poststart", r.hooks.poststart, r.state);
}

}  // namespace boxrt
