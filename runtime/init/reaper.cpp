// A pid 1 of the runtime's own, as bubblewrap's: asked for by the annotation
// org.boxapp.runtime.reaper = "1" (kReaperAnnotation). Right before execve the init forks:
// the child execs the process, and the init stays as the container's pid 1. It reaps the
// orphans the kernel hands it, passes every signal it gets on to the process (a pid 1 that
// installed no handler never sees SIGTERM), and exits with the process's status when it
// ends, which takes the rest of the pid namespace along. That costs a fork, where an init
// binary in front of the process (catatonit, tini) costs a second execve and its loading.
//
// It stays a copy of the runtime: non-dumpable, so nothing in the container can open its
// /proc/1/exe (the runtime's binary, CVE-2019-5736), /proc/1/mem or its descriptors, and it
// holds no descriptor but the namespaces it hands `exec` on the start socket (as a created
// init does, init/wait_start.cpp), since its /proc/1/ns is closed to a plain user too.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "init/init.hpp"
#include "launch/start_socket.hpp"
#include "util/proc.hpp"

namespace boxrt {
namespace {

// Everything but our signalfd, the start socket and the namespaces it hands out (stdio
// included: the process has its own copies; ours would keep a reader waiting after it is
// gone, as would the sync socket or `start`'s connection, whose EOF says it exec'd).
void close_all_but_kept(InitContext& ctx, int sigfd) {
  int keep[2 + kNamespaceKinds] = {sigfd};
  size_t n = 1;
  if (ctx.start_listen_fd >= 0) keep[n++] = ctx.start_listen_fd;
  for (size_t i = 0; i < ctx.ns_count; ++i)
    keep[n++] = ctx.ns_fds[i];
  for (size_t i = 1; i < n; ++i)  // in order; a handful of them
    for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; --j)
      std::swap(keep[j - 1], keep[j]);
  unsigned from = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto k = static_cast<unsigned>(keep[i]);
    if (k > from) ::close_range(from, k - 1, 0);
    from = k + 1;
  }
  ::close_range(from, ~0U, 0);
}

// `exec` asks for the namespaces (the only request once started); one that connects and
// says nothing is dropped after a while, not waited for: reaping must go on.
void serve_request(InitContext& ctx) {
  int conn = ::accept4(ctx.start_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) return;
  struct timeval limit = {0, 500 * 1000};
  ::setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  char req = 0;
  if (::read(conn, &req, 1) == 1 && req == static_cast<char>(StartRequest::namespaces))
    answer_namespaces(ctx, conn);
  ::close(conn);
}

int exit_status_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

[[noreturn]] void reap(InitContext& ctx, pid_t app, int sigfd) {
  set_process_title("boxapp-init");
  // Outside a pid namespace of its own, the orphans are still ours to reap.
  if (::getpid() != 1) ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  close_all_but_kept(ctx, sigfd);
  struct pollfd p[2] = {{sigfd, POLLIN, 0}, {ctx.start_listen_fd, POLLIN, 0}};
  for (;;) {
    if (::poll(p, ctx.start_listen_fd >= 0 ? 2 : 1, -1) < 0) continue;
    if (p[1].revents & POLLIN) serve_request(ctx);
    if (!(p[0].revents & POLLIN)) continue;
    struct signalfd_siginfo si;
    if (::read(sigfd, &si, sizeof si) != sizeof si) continue;
    if (si.ssi_signo != SIGCHLD) {
      ::kill(app, static_cast<int>(si.ssi_signo));
      continue;
    }
    int status = 0;
    for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;)
      if (pid == app) ::_exit(exit_status_of(status));
  }
}

}  // namespace

void exec_under_reaper(InitContext& ctx) {
  // Blocked before the fork: a signal between it and the signalfd would find pid 1 with
  // no handler (from the host, with its default action: it would end the container).
  sigset_t all, before;
  sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, &before);
  int sigfd = ::signalfd(-1, &all, SFD_CLOEXEC);
  if (sigfd < 0) {
    init_fail(ctx, errno, "reaper: signalfd");
    fail_after_start(ctx, 1);
  }
  // vfork: the process shares our memory until its execve, so nothing of the runtime's
  // image is copied for it (a fork of it costs a third of a millisecond). It makes only
  // system calls until then, and exits on failure, never returning into our frames.
  pid_t app = ::vfork();
  if (app == 0) {
    // On a terminal, the process is its foreground: ^C reaches it once, not through us too
    // (SIGTTOU is still blocked, so tcsetpgrp from a background group works).
    if (ctx.plan->terminal && ::setpgid(0, 0) == 0 && ::isatty(STDIN_FILENO))
      ::tcsetpgrp(STDIN_FILENO, ::getpid());
    ::sigprocmask(SIG_SETMASK, &before, nullptr);
    // The signalfd, the start socket and the namespaces are close-on-exec: pid 1's alone.
    ::execve(ctx.exe, ctx.plan->argv.data(), ctx.plan->envp.data());
    init_fail(ctx, errno, "exec %s", ctx.exe);
    fail_after_start(ctx, 127);
  }
  if (app < 0) {
    init_fail(ctx, errno, "reaper: fork the process");
    fail_after_start(ctx, 1);
  }
  reap(ctx, app, sigfd);
}

}  // namespace boxrt
