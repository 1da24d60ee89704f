#include "init/init.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>

#include "lifecycle/hooks.hpp"
#include "util/sys.hpp"

namespace boxrt {

bool init_fail(InitContext& ctx, int err, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(ctx.error.msg, sizeof ctx.error.msg, fmt, ap);
  va_end(ap);
  ctx.error.err = err;
  return false;
}

namespace {

[[noreturn]] void report_and_exit(InitContext& ctx, int status) {
  report_error_and_exit(ctx.sync_fd, ctx.error, status);
}

char read_msg(int fd) {
  char c = 0;
  if (retry_eintr([&] { return ::read(fd, &c, 1); }) != 1) return 0;
  return c;
}

void reset_signals() {
  for (int sig = 1; sig < NSIG; ++sig)
    ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

}  // namespace

// Past the start point: `run` still listens on the sync socket; after `create` the parent
// is gone and `start` reads the start socket, so the error goes there.
void fail_after_start(InitContext& ctx, int status) {
  if (ctx.sync_fd >= 0) report_and_exit(ctx, status);
  if (ctx.start_fd >= 0) (void)!::send(ctx.start_fd, &ctx.error, sizeof ctx.error, MSG_NOSIGNAL);
  ::_exit(status);
}

namespace {

bool run_hook_list(InitContext& ctx, const std::vector<HookStep>& hooks, int state_fd,
                   const char* kind) {
  for (const auto& h : hooks) {
    HookFailure f;
    if (!run_hook_step(h, state_fd, f))
      return init_fail(ctx, f.err, "%s hook `%s`: %s", kind, h.path.c_str(), f.msg);
  }
  return true;
}

}  // namespace

bool run_create_hooks(InitContext& ctx) {
  if (!ctx.plan->hook_stop) return true;
  char c = static_cast<char>(SyncMsg::hook_stop);
  if (::write(ctx.sync_fd, &c, 1) != 1) ::_exit(1);
  if (read_msg(ctx.sync_fd) != static_cast<char>(SyncMsg::hooks_done)) ::_exit(1);
  return run_hook_list(ctx, ctx.plan->create_container_hooks, ctx.creating_state_fd,
                       "createContainer");
}

namespace {

bool run_start_hooks(InitContext& ctx) {
  return run_hook_list(ctx, ctx.plan->start_container_hooks, ctx.created_state_fd,
                       "startContainer");
}

}  // namespace

void init_main(InitContext& ctx) {
  // If the runtime dies while we are half set up, so do we.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  reset_signals();
  // Given ones replace the caller's: dup2 leaves them open across execve.
  for (int i = 0; i < 3; ++i)
    if (ctx.stdio[i] >= 0 && ::dup2(ctx.stdio[i], i) < 0) ::_exit(1);
  if (read_msg(ctx.sync_fd) != static_cast<char>(SyncMsg::maps_written)) ::_exit(1);
  // Still while our /proc files are ours to write.
  if (!apply_oom_score(ctx)) report_and_exit(ctx, 1);
  // Until execve we are a copy of the runtime, holding its memory, host descriptors and, as
  // /proc/PID/exe, its binary: nothing in the container may ptrace us or open those
  // (CVE-2016-9962, CVE-2019-5736). It also closes our /proc files to everyone but real
  // root, the runtime included: the parent wrote our id maps above, and exec into a
  // created container asks us for our namespaces (init/wait_start.cpp). execve restores dumpability
  // for the container's process.
  ::prctl(PR_SET_DUMPABLE, 0);

  // The setup, in order; each step is a function of its own (init/rootfs.cpp, init/process.cpp);
  // init.hpp lists them in this order.
  bool (*const steps[])(InitContext&) = {
      become_namespace_root,
      join_mount_namespace,
      set_root_propagation,
      bind_rootfs,
      mount_all,
      join_network,
      create_devices,
      link_dev_entries,
      set_host_names,
      keep_namespaces,
      run_create_hooks,
      enter_rootfs,
      make_cwd,
      apply_root_propagation,
      make_root_readonly,
      apply_sysctls,
      mask_paths,
      make_dev_readonly,
      join_session_keyring,
      setup_terminal,
      apply_rlimits,
      close_other_fds,
      load_seccomp_with_caps,
      switch_identity,
      enter_cwd,
      find_executable,
  };
  for (auto step : steps)
    if (!step(ctx)) report_and_exit(ctx, 1);

  char ready = static_cast<char>(SyncMsg::ready);
  if (::write(ctx.sync_fd, &ready, 1) != 1) ::_exit(1);
  char mode = read_msg(ctx.sync_fd);
  if (mode == static_cast<char>(SyncMsg::wait_start)) {
    // The runtime that created us exits once we say we no longer die with it.
    ::prctl(PR_SET_PDEATHSIG, 0);
    char ack = static_cast<char>(SyncMsg::detached);
    if (::write(ctx.sync_fd, &ack, 1) != 1) ::_exit(1);
    ::close(ctx.sync_fd);
    ctx.sync_fd = -1;
    if (!wait_for_start(ctx)) ::_exit(1);
  } else if (mode != static_cast<char>(SyncMsg::exec_now)) {
    ::_exit(1);
  } else {
    ::prctl(PR_SET_PDEATHSIG, 0);
  }
  // startContainer hooks run as the process will, under its labels and seccomp filter, as
  // runc runs them.
  if (!set_exec_labels(ctx) || !load_seccomp_last(ctx) || !run_start_hooks(ctx))
    fail_after_start(ctx, 1);
  if (ctx.plan->reaper) exec_under_reaper(ctx);
  ::execve(ctx.exe, ctx.plan->argv.data(), ctx.plan->envp.data());
  init_fail(ctx, errno, "exec %s", ctx.exe);
  fail_after_start(ctx, 127);
}

void exec_main(InitContext& ctx) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (!apply_oom_score(ctx)) report_and_exit(ctx, 1);
  // While it still holds the runtime's memory and descriptors, nothing in the container may
  // ptrace it or open /proc/PID/exe (CVE-2016-9962, CVE-2019-5736); execve resets this.
  ::prctl(PR_SET_DUMPABLE, 0);
  reset_signals();
  if (read_msg(ctx.sync_fd) != static_cast<char>(SyncMsg::maps_written)) ::_exit(1);
  bool (*const steps[])(InitContext&) = {setup_terminal,         apply_rlimits,   close_other_fds,
                                         load_seccomp_with_caps, switch_identity, enter_cwd,
                                         find_executable};
  for (auto step : steps)
    if (!step(ctx)) report_and_exit(ctx, 1);
  char ready = static_cast<char>(SyncMsg::ready);
  if (::write(ctx.sync_fd, &ready, 1) != 1) ::_exit(1);
  if (read_msg(ctx.sync_fd) != static_cast<char>(SyncMsg::exec_now)) ::_exit(1);
  ::prctl(PR_SET_PDEATHSIG, 0);
  if (!set_exec_labels(ctx) || !load_seccomp_last(ctx)) report_and_exit(ctx, 1);
  ::execve(ctx.exe, ctx.plan->argv.data(), ctx.plan->envp.data());
  init_fail(ctx, errno, "exec %s", ctx.exe);
  report_and_exit(ctx, 127);
}

}  // namespace boxrt
