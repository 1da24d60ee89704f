#include "util/proc.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxrt {

int parse_signal(const std::string& name) {
  if (!name.empty() && std::isdigit(static_cast<unsigned char>(name[0]))) {
    int n = std::atoi(name.c_str());
    if (n >= 0 && n < NSIG) return n;  // 0: is it alive? (kill ID 0)
  } else {
    const std::string bare = name.rfind("SIG", 0) == 0 ? name.substr(3) : name;
    for (int n = 1; n < NSIG; ++n)
      if (const char* a = ::sigabbrev_np(n); a && bare == a) return n;
  }
  throw Error("unknown signal " + backquoted(name));
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  unique_fd guard(fd);
  char buf[1024];
  ssize_t n = retry_eintr([&] { return ::read(fd, buf, sizeof buf - 1); });
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
  const char* p = std::strrchr(buf, ')');
  if (!p) return std::nullopt;
  ProcStat st;
  unsigned long long start = 0;
  int ppid = 0;
  // Fields 3 (state), 4 (ppid) ... 22 (starttime).
  if (std::sscanf(p + 2,
                  "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
                  "%*d %llu",
                  &st.state, &ppid, &start) != 3)
    return std::nullopt;
  st.start_time = start;
  st.ppid = ppid;
  return st;
}

uid_t host_uid() {
  const uid_t inside = ::getuid();
  std::optional<std::string> map = try_read_file("/proc/self/uid_map");
  unsigned long first = 0, outer = 0, count = 0;
  for (size_t at = 0; map && at < map->size();) {
    const size_t nl = std::min(map->find('\n', at), map->size());
    if (std::sscanf(map->substr(at, nl - at).c_str(), "%lu %lu %lu", &first, &outer, &count) == 3 &&
        inside >= first && inside - first < count)
      return static_cast<uid_t>(outer + (inside - first));
    at = nl + 1;
  }
  return inside;
}

void set_process_title(const char* title) {
  ::prctl(PR_SET_NAME, title);
  // ps -o args shows the argv area of our memory (/proc/self/stat fields 48 and 49): the
  // forked helper's is its parent's command line until it is written over.
  int fd = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[1024];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return;
  buf[n] = '\0';
  char* p = std::strrchr(buf, ')');
  if (!p) return;
  unsigned long long start = 0, end = 0;
  int field = 2;
  char* save = nullptr;
  for (char* tok = ::strtok_r(p + 1, " ", &save); tok; tok = ::strtok_r(nullptr, " ", &save)) {
    ++field;
    if (field == 48) start = std::strtoull(tok, nullptr, 10);
    if (field == 49) end = std::strtoull(tok, nullptr, 10);
  }
  if (start == 0 || end <= start) return;
  char* area = reinterpret_cast<char*>(start);
  const size_t room = static_cast<size_t>(end - start);
  std::memset(area, 0, room);
  std::memcpy(area, title, std::min(std::strlen(title), room - 1));
}

bool is_same_live_process(pid_t pid, uint64_t start_time) {
  auto st = read_proc_stat(pid);
  return st && st->start_time == start_time && st->state != 'Z' && st->state != 'X';
}

// Raw syscall: glibc 2.36's <sys/pidfd.h> lacks extern "C" and does not link from C++.
unique_fd open_pidfd(pid_t pid) {
  return unique_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
}

uint64_t namespace_inode(pid_t pid, const char* name) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/ns/%s", static_cast<int>(pid), name);
  struct stat st;
  return ::stat(path, &st) == 0 ? st.st_ino : 0;
}

void become_daemon(const char* title, int keep) {
  ::setsid();
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGINT, SIGHUP, SIGQUIT, SIGPIPE})
    ::signal(sig, SIG_IGN);
  set_process_title(title);
  if (keep > 3) ::close_range(3, static_cast<unsigned>(keep) - 1, 0);
  ::close_range(static_cast<unsigned>(std::max(keep, 2)) + 1, ~0U, 0);
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd)
    if (fd != null && fd != keep) ::dup2(null, fd);
  (void)!::chdir("/");
}

void spawn_detached_program(const std::vector<std::string>& argv) {
  // posix_spawn (a vfork): a fork of a big launcher costs a millisecond. Not waited for: it
  // is a zombie until we exit, which a caller of this does soon after.
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  for (int fd = 0; fd < 3; ++fd)
    ::posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0);
  posix_spawnattr_t attr;
  ::posix_spawnattr_init(&attr);
  // Nothing of our signal handling: a foreground run blocks what it forwards to its box.
  sigset_t none;
  sigemptyset(&none);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), ::environ);
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
}

unique_fd spawn_detached(void (*main)(int ready_fd, void* arg), void* arg) {
  int ready[2];
  check(::pipe2(ready, O_CLOEXEC), "pipe");
  unique_fd ready_r(ready[0]), ready_w(ready[1]);
  pid_t mid = check(::fork(), "fork");
  if (mid == 0) {
    if (::fork() == 0) {
      main(ready_w.get(), arg);
      ::_exit(0);
    }
    ::_exit(0);
  }
  retry_eintr([&] { return ::waitpid(mid, nullptr, 0); });
  return ready_r;
}

unique_fd open_namespace_of(pid_t init, const char* kind) {
  const auto open_ns = [&](const std::string& pid) {
    return unique_fd(::open(("/proc/" + pid + "/ns/" + kind).c_str(), O_RDONLY | O_CLOEXEC));
  };
  const std::string p = std::to_string(init);
  if (unique_fd ns = open_ns(p)) return ns;
  const std::string children =
      try_read_file("/proc/" + p + "/task/" + p + "/children").value_or("");
  size_t at = 0;
  while (at < children.size()) {
    const size_t end = children.find(' ', at);
    const std::string child = children.substr(at, end == std::string::npos ? end : end - at);
    if (!child.empty())
      if (unique_fd ns = open_ns(child)) return ns;
    if (end == std::string::npos) break;
    at = end + 1;
  }
  throw_errno(std::string("open the ") + kind + " namespace of process " + p + " or its children");
}

std::string own_executable() {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) throw_errno("read /proc/self/exe");
  return std::string(self, static_cast<size_t>(n));
}

namespace {

// argv[0], looked up on PATH, started with `actions` (which this destroys): its pid, or -1
// when it could not start.
pid_t spawn(const std::vector<std::string>& argv, posix_spawn_file_actions_t* actions) {
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  const int rc = ::posix_spawnp(&pid, args[0], actions, nullptr, args.data(), ::environ);
  ::posix_spawn_file_actions_destroy(actions);
  return rc == 0 ? pid : -1;
}

// Its exit status, 128+N when signal N killed it, -1 when it can't be waited for.
int wait_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int run_program(const std::vector<std::string>& argv, bool quiet) {
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  if (quiet) {
    ::posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    ::posix_spawn_file_actions_adddup2(&actions, 1, 2);
  }
  const pid_t pid = spawn(argv, &actions);
  return pid < 0 ? -1 : wait_status(pid);
}

ProgramOutput run_program_output(const std::vector<std::string>& argv, bool keep_stderr) {
  ProgramOutput result;
  int out[2], err[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0) throw_errno("pipe");
  unique_fd out_r(out[0]), out_w(out[1]), err_r, err_w;
  if (keep_stderr) {
    if (::pipe2(err, O_CLOEXEC) != 0) throw_errno("pipe");
    err_r.reset(err[0]);
    err_w.reset(err[1]);
  }
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  if (keep_stderr) ::posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  const pid_t pid = spawn(argv, &actions);
  out_w.reset();
  err_w.reset();
  if (pid < 0) return result;
  struct pollfd p[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_ends = keep_stderr ? 2 : 1;
  char buf[8192];
  while (open_ends > 0) {
    if (::poll(p, keep_stderr ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (p[i].fd < 0 || !p[i].revents) continue;
      const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        p[i].fd = -1;
        --open_ends;
      }
    }
  }
  result.status = wait_status(pid);
  return result;
}

int run_program_lines(const std::vector<std::string>& argv,
                      const std::function<void(const std::string&)>& on_line) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) throw_errno("pipe");
  unique_fd r(ends[0]), w(ends[1]);
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, w.get(), 1);
  ::posix_spawn_file_actions_adddup2(&actions, w.get(), 2);
  const pid_t pid = spawn(argv, &actions);
  w.reset();
  if (pid < 0) return -1;
  std::string pending;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(r.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1))
      on_line(pending.substr(0, nl));
  }
  if (!pending.empty()) on_line(pending);
  return wait_status(pid);
}

}  // namespace boxrt
