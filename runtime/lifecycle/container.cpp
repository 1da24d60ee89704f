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
