#include "ns/session.hpp"

#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>

#include "cgroup/service.hpp"
#include "ns/spare_network.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fd_passing.hpp"
#include "util/lock_file.hpp"
#include "util/log.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"
#include "util/unix_socket.hpp"
#include "util/user_dirs.hpp"

extern char** environ;

namespace boxrt {
namespace {

std::string session_file() {
  return session_dir() + "/session";
}

// "PID START_TIME SUBIDS" written by the process that started the session.
std::optional<Session> read_session() {
  std::string text;
  try {
    text = read_file(session_file());
  } catch (const Error&) {
    return std::nullopt;
  }
  Session s;
  unsigned long long start = 0;
  int pid = 0, subids = 0;
  if (std::sscanf(text.c_str(), "%d %llu %d", &pid, &start, &subids) != 3) return std::nullopt;
  s.pid = pid;
  s.start_time = start;
  s.has_subids = subids != 0;
  if (!is_same_live_process(s.pid, s.start_time)) return std::nullopt;
  return s;
}

// A watch on the session's directory: it goes away at logout (with XDG_RUNTIME_DIR), or its
// session file is removed. Then nobody can find the session any more, and it stops pinning
// the namespace.
unique_fd watch_session_dir(const std::string& dir) {
  unique_fd in(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (in && ::inotify_add_watch(
                in.get(), dir.c_str(),
                IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR) < 0)
    in.reset();
  return in;
}

// Reads the watch's events: whether the session is gone.
bool session_dir_gone(int watch) {
  alignas(inotify_event) char buf[4096];
  ssize_t n;
  while ((n = ::read(watch, buf, sizeof buf)) > 0) {
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)) return true;
      if (ev->len && std::strcmp(ev->name, "session") == 0) return true;
      p += sizeof(inotify_event) + ev->len;
    }
  }
  return n == 0 || (errno != EAGAIN && errno != EINTR);
}

// The pinned process: owns the user namespace, and keeps a network namespace ready.
[[noreturn]] void session_main(int ready_fd, int go_fd) {
  ::setsid();
  // Where the session lives, found while we are still ourselves: in the new namespace we are
  // uid 0, and the /tmp fallback would name root's directory (util/user_dirs.hpp).
  const std::string dir = session_dir();
  const std::string spare_socket = dir + "/" + kSpareNetworkSocketName;
  pid_t self = ::getpid();
  if (::unshare(CLONE_NEWUSER) != 0) {
    int err = -errno;
    (void)!::write(ready_fd, &err, sizeof err);
    ::_exit(1);
  }
  (void)!::write(ready_fd, &self, sizeof self);
  char c;
  if (retry_eintr([&] { return ::read(go_fd, &c, 1); }) != 1) ::_exit(1);
  ::close_range(0, ~0U, 0);
  int null = ::open("/dev/null", O_RDWR);
  if (null == 0) {
    ::dup2(0, 1);
    ::dup2(0, 2);
  }
  (void)!::chdir("/");
  set_process_title("boxapp-session");
  // The caller may have blocked signals it forwards (the launcher does): the session must
  // still go on SIGTERM.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGINT, SIG_IGN);
  unique_fd watch = watch_session_dir(dir);
  SpareNetworkService spares(spare_socket);
  for (;;) {
    struct pollfd p[2] = {{watch.get(), POLLIN, 0}, {spares.fd(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) continue;
    if ((p[0].revents & (POLLIN | POLLERR)) && session_dir_gone(watch.get())) ::_exit(0);
    if (p[1].revents & POLLIN) spares.serve();
  }
}

bool has_program(const char* path) {
  return ::access(path, X_OK) == 0;
}

// The session's map: our own id as 0, then each subordinate range in turn. Ranges past the
// first are how an admin grants host groups (audio, video: "alice:29:1" in /etc/subgid):
// mapped here, boxes can map them as themselves (plan.cpp translates through this map).
std::vector<IdRange> session_map(uint32_t own, const std::vector<IdRange>& subs) {
  std::vector<IdRange> map = {{0, own, 1}};
  uint32_t next = 1;
  for (const auto& s : subs) {
    bool overlaps = false;
    for (const auto& m : map)
      overlaps = overlaps || (s.outside < m.outside + m.count && m.outside < s.outside + s.count);
    if (overlaps) continue;  // the kernel takes no two ranges of the same host ids
    map.push_back({next, s.outside, s.count});
    next += s.count;
  }
  return map;
}

// Runs newuidmap/newgidmap PID INSIDE OUTSIDE COUNT... and waits for it.
void run_idmap_tool(const char* tool, pid_t pid, const std::vector<IdRange>& map) {
  std::vector<std::string> args = {tool, std::to_string(pid)};
  for (const auto& r : map)
    for (uint32_t v : {r.inside, r.outside, r.count})
      args.push_back(std::to_string(v));
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t child;
  int rc = ::posix_spawn(&child, tool, nullptr, nullptr, argv.data(), environ);
  if (rc != 0) throw sys_error(rc, std::string("run ") + tool);
  int status = 0;
  retry_eintr([&] { return ::waitpid(child, &status, 0); });
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string cmd;
    for (auto& a : args)
      cmd += (cmd.empty() ? "" : " ") + a;
    throw Error(backquoted(cmd) + " failed (exit status " + std::to_string(WEXITSTATUS(status)) +
                "); check /etc/subuid and /etc/subgid");
  }
}

Session start_session() {
  int ready[2], go[2];
  check(::pipe2(ready, O_CLOEXEC), "pipe");
  unique_fd ready_r(ready[0]), ready_w(ready[1]);
  check(::pipe2(go, O_CLOEXEC), "pipe");
  unique_fd go_r(go[0]), go_w(go[1]);

  // Double fork: the session must not stay a child (or a zombie) of whoever started it.
  pid_t mid = check(::fork(), "fork");
  if (mid == 0) {
    pid_t s = ::fork();
    if (s == 0) session_main(ready_w.get(), go_r.get());
    ::_exit(s < 0 ? 1 : 0);
  }
  int status = 0;
  retry_eintr([&] { return ::waitpid(mid, &status, 0); });
  ready_w.reset();
  go_r.reset();

  int32_t word = 0;
  if (retry_eintr([&] { return ::read(ready_r.get(), &word, sizeof word); }) != sizeof word)
    throw Error("start session: the session process died before creating its namespace");
  if (word < 0) throw sys_error(-word, "start session: unshare(CLONE_NEWUSER)");
  Session s;
  s.pid = word;
  auto st = read_proc_stat(s.pid);
  if (!st) throw Error("start session: the session process died");
  s.start_time = st->start_time;

  const uid_t uid = ::getuid();
  const gid_t gid = ::getgid();
  std::string name;
  if (struct passwd* pw = ::getpwuid(uid)) name = pw->pw_name;
  auto subuid = subordinate_range("/etc/subuid", name, uid);
  auto subgids = subordinate_ranges("/etc/subgid", name, uid);
  try {
    if (subuid && !subgids.empty() && has_program("/usr/bin/newuidmap") &&
        has_program("/usr/bin/newgidmap")) {
      run_idmap_tool("/usr/bin/newuidmap", s.pid, session_map(uid, {*subuid}));
      run_idmap_tool("/usr/bin/newgidmap", s.pid, session_map(gid, subgids));
      s.has_subids = true;
    } else {
      // Without uidmap only our own ids can be mapped, and setgroups must be denied.
      write_id_maps(s.pid, {{0, uid, 1}}, {{0, gid, 1}}, /*deny_setgroups=*/true);
    }
  } catch (Error& e) {
    ::kill(s.pid, SIGKILL);
    e.add_context("start session");
    throw;
  }
  // Started from boxapp@APP.service: the session outlives that box, so not in its cgroup.
  leave_service_cgroup(s.pid);
  char c = 'g';
  check(::write(go_w.get(), &c, 1), "start session: write");
  return s;
}

}  // namespace

std::string session_dir_under(const std::string& runtime_dir) {
  return runtime_dir + "/boxapp";
}

std::string session_dir() {
  return session_dir_under(user_runtime_dir());
}

Session ensure_session() {
  if (auto s = read_session()) return *s;
  const std::string dir = session_dir();
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir " + backquoted(dir));
  FileLock lock = FileLock::acquire(dir + "/session.lock");
  if (auto s = read_session()) return *s;  // another caller started it while we waited
  Session s = start_session();
  log_debug("started session process " + std::to_string(s.pid) +
            (s.has_subids ? " (mapped with newuidmap/newgidmap)" : " (own ids only)"));
  char text[96];
  std::snprintf(text, sizeof text, "%d %llu %d\n", static_cast<int>(s.pid),
                static_cast<unsigned long long>(s.start_time), s.has_subids ? 1 : 0);
  write_file_atomic(session_file(), text, 0600, Durability::volatile_ok);
  return s;
}

void join_session(const Session& s) {
  unique_fd pidfd = open_pidfd(s.pid);
  // Checked after opening the pidfd: if it is still the same process now, the pidfd can't
  // refer to a recycled pid.
  if (!pidfd || !is_same_live_process(s.pid, s.start_time))
    throw Error("join session: the session process " + std::to_string(s.pid) + " is gone");
  if (::setns(pidfd.get(), CLONE_NEWUSER) != 0)
    throw_errno("join session: setns into the user namespace of " + std::to_string(s.pid));
  log_debug("joined the session user namespace of process " + std::to_string(s.pid));
}

std::vector<IdRange> own_uid_map() {
  return parse_id_map(read_file("/proc/self/uid_map"));
}
std::vector<IdRange> own_gid_map() {
  return parse_id_map(read_file("/proc/self/gid_map"));
}

bool setgroups_allowed() {
  try {
    return read_file("/proc/self/setgroups").rfind("allow", 0) == 0;
  } catch (const Error&) {
    return true;  // kernels before 3.19 have no such control
  }
}

bool in_initial_user_namespace() {
  auto m = own_uid_map();
  return m.size() == 1 && m[0].inside == 0 && m[0].outside == 0 && m[0].count == 4294967295u;
}

}  // namespace boxrt
