// start, kill, delete, and the read-only queries (state, list, pids).
#include <dirent.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "cgroup/cgroup.hpp"
#include "init/init.hpp"
#include "lifecycle/hooks.hpp"
#include "lifecycle/runtime.hpp"
#include "oci/spec.hpp"
#include "util/error.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

// A pidfd for the container's init, or an invalid fd when it is no longer that process.
unique_fd init_pidfd(const ContainerRecord& r) {
  if (!r.state.pid) return {};
  unique_fd fd = open_pidfd(*r.state.pid);
  // Verified after opening: the pidfd now pins exactly the process we checked.
  if (fd && !is_same_live_process(*r.state.pid, r.start_time)) fd.reset();
  return fd;
}

bool send_signal(int pidfd, int sig) {
  return ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) == 0;
}

// Waits until the process behind pidfd has exited; false after timeout_ms.
bool wait_exit(int pidfd, int timeout_ms) {
  struct pollfd p = {pidfd, POLLIN, 0};
  return retry_eintr([&] { return ::poll(&p, 1, timeout_ms); }) == 1;
}

std::vector<int> pids_in_namespace_of(pid_t init) {
  std::vector<int> out;
  uint64_t ns = namespace_inode(init, "pid");
  // Unreadable before it starts (the init is not dumpable then), when it is alone anyway.
  if (ns == 0) return {static_cast<int>(init)};
  if (ns == namespace_inode(::getpid(), "pid")) return {static_cast<int>(init)};
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    int pid = std::atoi(e->d_name);
    if (pid > 0 && namespace_inode(pid, "pid") == ns) out.push_back(pid);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// Opens exec.fifo, which lets the waiting init go on, and reads it to EOF: the init writes
// one byte once it is past the fifo and keeps it open until execve, or writes its error.
// Returns that error, or empty once the container's process runs.
std::string read_start_answer(const std::string& id, unique_fd pidfd,
                              const std::string& fifo_path) {
  // O_NONBLOCK: open at once; the init's blocked open for writing then completes.
  unique_fd fifo = open_file(fifo_path, O_RDONLY | O_NONBLOCK);
  struct pollfd p[2] = {{fifo.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
  bool started = false;
  std::string error;
  for (;;) {
    // Before the first byte, only a dead or stuck init keeps us waiting; after it,
    // startContainer hooks may take their time (they have timeouts of their own).
    int n = retry_eintr([&] { return ::poll(p, started ? 1 : 2, started ? -1 : 10000); });
    if (n <= 0) throw Error("start " + backquoted(id) + ": the container init did not answer");
    if (p[0].revents & (POLLIN | POLLHUP)) {
      char buf[sizeof(InitError) + 1];
      ssize_t got = ::read(fifo.get(), buf, sizeof buf);
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
  std::string failure = read_start_answer(id, init_pidfd(r), store_.fifo_of(id));
  ::unlink(store_.fifo_of(id).c_str());
  if (!failure.empty()) {
    // A startContainer hook failed: the init is gone, and the container is destroyed
    // (runtime-spec lifecycle steps 12 and 13).
    destroy(r);
    throw Error("start " + backquoted(id) + ": " + failure);
  }
  r.state.status = oci::Status::running;
  run_hooks_warning("poststart", r.hooks.poststart, r.state);
}

void Runtime::kill(const std::string& id, int sig, bool all) {
  validate_id(id);
  ContainerRecord r = store_.load(id);
  unique_fd pidfd = init_pidfd(r);
  if (!pidfd) throw Error("container " + backquoted(id) + " is not running");
  if (all) {
    for (int pid : r.cgroup.empty() ? pids_in_namespace_of(*r.state.pid) : cgroup_pids(r.cgroup))
      if (pid != *r.state.pid) ::kill(pid, sig);
  }
  if (!send_signal(pidfd.get(), sig))
    throw_errno("kill container " + backquoted(id) + " with signal " + std::to_string(sig));
}

void Runtime::remove(const std::string& id, bool force) {
  validate_id(id);
  std::optional<FileLock> lock;
  try {
    lock.emplace(store_.lock(id));
  } catch (const Error&) {
    if (force) return;  // nothing to delete: as runc, --force makes that a success
    throw;
  }
  if (!store_.exists(id)) {
    store_.erase(id);  // a create that died half way
    if (force) return;
    throw_no_such_container(id);
  }
  ContainerRecord r = store_.load(id);
  oci::Status st = live_status(store_, r);
  if ((st == oci::Status::running || st == oci::Status::paused) && !force)
    throw Error("container " + backquoted(id) +
                " is running: stop it first, or use delete --force to kill it");
  destroy(r);
}

void Runtime::destroy(ContainerRecord& r) {
  const std::string& id = r.state.id;
  if (!r.cgroup.empty() && cgroup_frozen(r.cgroup)) freeze_cgroup(r.cgroup, false);
  if (unique_fd pidfd = init_pidfd(r)) {
    // Killing the init of a pid namespace kills everything in it.
    if (send_signal(pidfd.get(), SIGKILL) && !wait_exit(pidfd.get(), 10000))
      throw Error("container " + backquoted(id) + " did not die after SIGKILL");
  }
  // And the cgroup holds whatever is left outside one.
  if (!r.cgroup.empty() && !destroy_cgroup(r.cgroup))
    throw Error("container " + backquoted(id) + ": its cgroup " + backquoted(r.cgroup) +
                " would not empty");
  store_.erase(id);
  r.state.status = oci::Status::stopped;
  run_hooks_warning("poststop", r.hooks.poststop, r.state);
}

ContainerView Runtime::state(const std::string& id) const {
  validate_id(id);
  ContainerRecord r = store_.load(id);
  ContainerView v = r;
  // runc's `owner`: who created it. Looked up here, not at create: name service lookups
  // cost a measurable part of a container start.
  struct stat st;
  if (::stat(store_.dir_of(id).c_str(), &st) == 0) {
    struct passwd* pw = ::getpwuid(st.st_uid);
    v.state.extra["owner"] = pw ? std::string(pw->pw_name) : std::to_string(st.st_uid);
  }
  v.state.status = live_status(store_, r);
  if (v.state.status == oci::Status::stopped) v.state.pid = 0;  // as runc shows it
  return v;
}

std::vector<ContainerView> Runtime::list() const {
  std::vector<ContainerView> out;
  for (const auto& id : store_.ids()) {
    try {
      out.push_back(state(id));
    } catch (const Error&) {
      // deleted while we listed: not there any more
    }
  }
  return out;
}

oci::Process Runtime::default_exec_process(const std::string& id) const {
  validate_id(id);
  ContainerRecord r = store_.load(id);
  oci::Spec spec = oci::load_spec(r.state.bundle + "/config.json");
  if (!spec.process) throw Error("container " + backquoted(id) + " has no process in its config");
  oci::Process p = *spec.process;
  p.terminal = false;
  p.console_size.reset();
  return p;
}

std::vector<int> Runtime::pids(const std::string& id) const {
  ContainerRecord r = store_.load(id);
  if (!r.cgroup.empty()) return cgroup_pids(r.cgroup);
  if (live_status(store_, r) == oci::Status::stopped) return {};
  return pids_in_namespace_of(*r.state.pid);
}

}  // namespace boxrt
