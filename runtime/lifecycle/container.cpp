#include "lifecycle/container.hpp"

#include <dirent.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "util/error.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxrt {

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

bool wait_exit(int pidfd, int timeout_ms) {
  struct pollfd p = {pidfd, POLLIN, 0};
  return retry_eintr([&] { return ::poll(&p, 1, timeout_ms); }) == 1;
}

namespace {

std::vector<int> proc_pids() {
  std::vector<int> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (auto* e = ::readdir(d))
    if (int pid = std::atoi(e->d_name); pid > 0) out.push_back(pid);
  ::closedir(d);
  return out;
}

}  // namespace

std::vector<int> pids_in_namespace_of(pid_t init) {
  const std::vector<int> all = proc_pids();
  uint64_t ns = namespace_inode(init, "pid");
  // An init that is not dumpable (before it starts; the runtime's reaper, for good) hides its
  // namespaces: a child of its tells them, where it has one. Alone, it is all there is.
  if (ns == 0)
    for (int pid : all)
      if (auto st = read_proc_stat(pid);
          st && st->ppid == init && (ns = namespace_inode(pid, "pid")))
        break;
  if (ns == 0 || ns == namespace_inode(::getpid(), "pid")) return {static_cast<int>(init)};
  std::vector<int> out = {static_cast<int>(init)};
  for (int pid : all)
    if (pid != init && namespace_inode(pid, "pid") == ns) out.push_back(pid);
  std::sort(out.begin(), out.end());
  return out;
}

ContainerRecord with_cgroup(const StateStore& store, const std::string& id, const char* op) {
  validate_id(id);
  ContainerRecord r = store.load(id);
  if (live_status(store, r) == oci::Status::stopped)
    throw Error("container " + backquoted(id) + " is not running");
  if (r.cgroup.empty())
    throw Error("container " + backquoted(id) + " has no cgroup, which " + op +
                " needs: this host gave it no cgroup v2 tree to write (see the warning at "
                "create, or run with --debug)");
  return r;
}

}  // namespace boxrt
