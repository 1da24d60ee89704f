#include "container/netns.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

// Shared with the helper (CLONE_VM): what it was given and what became of it.
struct HelperJob {
  int userns_fd = -1;
  int netns_fd = -1;  // in our descriptor table too (CLONE_FILES)
  int err = 0;
  const char* step = nullptr;
};

int fail(HelperJob& job, const char* step) {
  job.err = errno;
  job.step = step;
  return 1;
}

// A new network namespace starts with `lo` down: 127.0.0.1 would not answer even inside
// the box. Up it goes, as crun and bubblewrap do; everything else is for hooks to plumb.
bool bring_up_loopback() {
  int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return false;
  struct ifreq ifr = {};
  __builtin_memcpy(ifr.ifr_name, "lo", 3);
  bool ok = ::ioctl(sock, SIOCGIFFLAGS, &ifr) == 0;
  if (ok && !(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    ok = ::ioctl(sock, SIOCSIFFLAGS, &ifr) == 0;
  }
  int err = errno;
  ::close(sock);
  errno = err;
  return ok;
}

// The helper: system calls only, on its own small stack. Joining a user namespace needs
// an unshared fs_struct and no other threads, which a CLONE_VM child without CLONE_FS or
// CLONE_THREAD has.
int helper_main(void* arg) {
  auto& job = *static_cast<HelperJob*>(arg);
  if (job.userns_fd >= 0 && ::setns(job.userns_fd, CLONE_NEWUSER) != 0)
    return fail(job, "join the container's user namespace");
  if (::unshare(CLONE_NEWNET) != 0) return fail(job, "unshare(CLONE_NEWNET)");
  if (!bring_up_loopback()) return fail(job, "bring up lo");
  job.netns_fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (job.netns_fd < 0) return fail(job, "open /proc/thread-self/ns/net");
  return 0;
}

}  // namespace

unique_fd create_network_namespace(int userns_fd) {
  HelperJob job;
  job.userns_fd = userns_fd;
  constexpr size_t kStack = 64 * 1024;
  auto stack = std::make_unique<char[]>(kStack);
  // CLONE_VFORK: we wait anyway, and the helper's stack and job stay ours meanwhile; the
  // container's init goes on with its mounts in parallel.
  pid_t pid = ::clone(helper_main, stack.get() + kStack,
                      CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &job);
  if (pid < 0) throw_errno("create the network namespace: clone");
  int status = 0;
  retry_eintr([&] { return ::waitpid(pid, &status, __WALL); });
  unique_fd net(job.netns_fd);
  if (job.step) throw sys_error(job.err, std::string("create the network namespace: ") + job.step);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !net)
    throw Error("create the network namespace: the helper died");
  return net;
}

}  // namespace boxrt
