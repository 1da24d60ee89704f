#include "lifecycle/hooks.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

extern char** environ;

namespace boxrt {
namespace {

bool fail(HookFailure& f, int err, const char* what) {
  f.err = err;
  std::snprintf(f.msg, sizeof f.msg, "%s", what);
  return false;
}

[[noreturn]] void exec_hook(const HookStep& h, int state_fd, int out_fd) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the runtime blocks the signals it forwards
  if (::lseek(state_fd, 0, SEEK_SET) != 0 || ::dup2(state_fd, 0) != 0 || ::dup2(out_fd, 1) != 1 ||
      ::dup2(out_fd, 2) != 2)
    ::_exit(126);
  char* const* envp = h.envp.empty() ? environ : h.envp.data();
  ::execve(h.path.c_str(), h.argv.data(), envp);
  const char* why = ::strerrordesc_np(errno);
  char line[256];
  int n = std::snprintf(line, sizeof line, "cannot execute it: %s", why ? why : "error");
  (void)!::write(2, line, static_cast<size_t>(n));
  ::_exit(127);
}

// Appends ": <the last bytes the hook wrote>" to msg, on one line.
void append_output_tail(int out_fd, char* msg, size_t size) {
  struct stat st;
  if (::fstat(out_fd, &st) != 0 || st.st_size == 0) return;
  char tail[200];
  off_t from = st.st_size > static_cast<off_t>(sizeof tail - 1)
                   ? st.st_size - static_cast<off_t>(sizeof tail - 1)
                   : 0;
  ssize_t n = ::pread(out_fd, tail, sizeof tail - 1, from);
  if (n <= 0) return;
  while (n > 0 && (tail[n - 1] == '\n' || tail[n - 1] == ' '))
    --n;
  tail[n] = '\0';
  for (ssize_t i = 0; i < n; ++i)
    if (tail[i] == '\n') tail[i] = ' ';
  size_t len = std::strlen(msg);
  std::snprintf(msg + len, size - len, ": %s%s", from > 0 ? "..." : "", tail);
}

}  // namespace

std::vector<HookStep> make_hook_steps(const std::optional<std::vector<oci::Hook>>& hooks) {
  const auto& list = oci::items(hooks);
  std::vector<HookStep> out(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const oci::Hook& h = list[i];
    HookStep& s = out[i];
    s.path = h.path;
    s.args = h.args && !h.args->empty() ? *h.args : std::vector<std::string>{h.path};
    for (auto& a : s.args)
      s.argv.push_back(a.data());
    s.argv.push_back(nullptr);
    // No env: the runtime's own, as runc does; an empty one is empty.
    if (h.env) {
      s.env = *h.env;
      for (auto& e : s.env)
        s.envp.push_back(e.data());
      s.envp.push_back(nullptr);
    }
    s.timeout_s = h.timeout ? static_cast<int>(std::min<int64_t>(*h.timeout, INT_MAX / 1000)) : 0;
  }
  return out;
}

bool run_hook_step(const HookStep& h, int state_fd, HookFailure& f) {
  unique_fd out(::memfd_create("hook-output", MFD_CLOEXEC));
  if (!out) return fail(f, errno, "capture its output: memfd_create");
  pid_t pid = ::fork();
  if (pid < 0) return fail(f, errno, "fork");
  if (pid == 0) exec_hook(h, state_fd, out.get());

  bool timed_out = false;
  if (unique_fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); pidfd) {
    struct pollfd p = {pidfd.get(), POLLIN, 0};
    int ms = h.timeout_s > 0 ? h.timeout_s * 1000 : -1;
    int r = retry_eintr([&] { return ::poll(&p, 1, ms); });
    if (r == 0) {
      ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
      timed_out = true;
    }
  }
  int status = 0;
  retry_eintr([&] { return ::waitpid(pid, &status, 0); });
  bool ok = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!ok) {
    f.err = 0;
    if (timed_out)
      std::snprintf(f.msg, sizeof f.msg, "timed out after %d s and was killed", h.timeout_s);
    else if (WIFEXITED(status))
      std::snprintf(f.msg, sizeof f.msg, "exited with status %d", WEXITSTATUS(status));
    else
      std::snprintf(f.msg, sizeof f.msg, "was killed by signal %d", WTERMSIG(status));
    append_output_tail(out.get(), f.msg, sizeof f.msg);
  }
  return ok;
}

unique_fd new_state_fd() {
  unique_fd fd(::memfd_create("oci-state", MFD_CLOEXEC));
  if (!fd) throw_errno("memfd_create for the hooks' state");
  return fd;
}

void write_state_fd(int fd, const oci::State& state) {
  std::string text = oci::state_to_json(state).dump();
  check(::ftruncate(fd, 0), "truncate the hooks' state");
  check(::lseek(fd, 0, SEEK_SET), "seek the hooks' state");
  write_all(fd, text, "the hooks' state");
}

namespace {

// Runs them in order; the first failure as "KIND hook PATH: WHAT", or empty.
void run_all(const char* kind, const std::optional<std::vector<oci::Hook>>& hooks,
             const oci::State& state, bool warn_only) {
  if (oci::items(hooks).empty()) return;
  unique_fd state_fd = new_state_fd();
  write_state_fd(state_fd.get(), state);
  for (const auto& step : make_hook_steps(hooks)) {
    log_debug(std::string(kind) + " hook " + backquoted(step.path));
    HookFailure f;
    if (run_hook_step(step, state_fd.get(), f)) continue;
    std::string what = std::string(kind) + " hook " + backquoted(step.path) + ": " + f.msg;
    if (!warn_only) {
      if (f.err) throw sys_error(f.err, what);
      throw Error(what);
    }
    log_warning(what);
  }
}

}  // namespace

void run_hooks(const char* kind, const std::optional<std::vector<oci::Hook>>& hooks,
               const oci::State& state) {
  run_all(kind, hooks, state, false);
}

void run_hooks_warning(const char* kind, const std::optional<std::vector<oci::Hook>>& hooks,
                       const oci::State& state) {
  run_all(kind, hooks, state, true);
}

}  // namespace boxrt
