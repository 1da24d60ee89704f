// create: the init waits on the start socket (launch/start_socket.hpp) until `start`, and
// hands its namespaces to `exec` meanwhile.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "init/init.hpp"
#include "launch/start_socket.hpp"
#include "ns/namespaces.hpp"
#include "util/sys.hpp"

namespace boxrt {

bool keep_namespaces(InitContext& ctx) {
  if (ctx.start_listen_fd < 0) return true;
  // Opened now, while the host's /proc is still in sight: the container may have none.
  for (const auto& k : namespace_kinds()) {
    char path[64];
    // A new time namespace is our children's, not ours (unshare(CLONE_NEWTIME)).
    std::snprintf(path, sizeof path, "/proc/self/ns/%s",
                  k.flag == CLONE_NEWTIME ? "time_for_children" : k.proc_name);
    int opened = ::open(path, O_RDONLY | O_CLOEXEC);
    if (opened < 0) continue;  // a kernel without that namespace type
    // Above the --preserve-fds range, which close_other_fds opens to the container.
    int fd = ::fcntl(opened, F_DUPFD_CLOEXEC, 3 + ctx.plan->preserve_fds);
    ::close(opened);
    if (fd < 0) return init_fail(ctx, errno, "keep the namespace descriptors");
    ctx.ns_fds[ctx.ns_count] = fd;
    ctx.ns_flags[ctx.ns_count++] = k.flag;
  }
  return true;
}

// The namespaces, and "/" as it is now (the container's root, after pivot_root or chroot).
void answer_namespaces(InitContext& ctx, int conn) {
  int fds[kNamespaceKinds + 1], flags[kNamespaceKinds + 1];
  size_t n = 0;
  for (; n < ctx.ns_count; ++n) {
    fds[n] = ctx.ns_fds[n];
    flags[n] = ctx.ns_flags[n];
  }
  int root = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root >= 0) {
    fds[n] = root;
    flags[n++] = 0;
  }
  send_namespaces(conn, fds, flags, n);
  if (root >= 0) ::close(root);
}

bool wait_for_start(InitContext& ctx) {
  for (;;) {
    int conn = ::accept4(ctx.start_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return init_fail(ctx, errno, "wait for start: accept");
    }
    // A caller that connects and says nothing must not hold up `start`.
    struct timeval limit = {2, 0};
    ::setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    char req = 0;
    if (::read(conn, &req, 1) == 1 && req == static_cast<char>(StartRequest::start)) {
      // A reaper (init/reaper.cpp) goes on handing them out.
      if (!ctx.plan->reaper) {
        ::close(ctx.start_listen_fd);
        ctx.start_listen_fd = -1;
        for (size_t i = 0; i < ctx.ns_count; ++i)
          ::close(ctx.ns_fds[i]);
        ctx.ns_count = 0;
      }
      // Kept open until execve closes it: `start` reads to EOF, so it returns once the
      // process runs, or with the error we send instead.
      ctx.start_fd = conn;
      char c = static_cast<char>(SyncMsg::ready);
      return ::send(conn, &c, 1, MSG_NOSIGNAL) == 1 ||
             init_fail(ctx, errno, "wait for start: answer `start`");
    }
    if (req == static_cast<char>(StartRequest::namespaces)) answer_namespaces(ctx, conn);
    ::close(conn);
  }
}

}  // namespace boxrt
