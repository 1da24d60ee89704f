#include "ns/netns.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <utility>

#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

// Shared with the helper (CLONE_VM): what it was given and what became of it.
struct HelperJob {
  int userns_fd = -1;
  bool sysfs = false;
  int netns_fd = -1;  // in our descriptor table too (CLONE_FILES)
  int sysfs_fd = -1;
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
  unique_fd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) return false;
  struct ifreq ifr = {};
  __builtin_memcpy(ifr.ifr_name, "lo", 3);
  if (::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) != 0) return false;
  if (ifr.ifr_flags & IFF_UP) return true;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  return ::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) == 0;
}

// The spare is the session's, so no capability the box is given reaches it: a box given
// CAP_NET_BIND_SERVICE (a web server on port 80) could not bind there. Every port is open
// to every process of the box instead, as docker sets it for each container; the namespace
// is the box's alone, so the host's ports stay as they were. An old kernel without the knob
// keeps 1024.
void open_low_ports() {
  const int fd = ::open("/proc/sys/net/ipv4/ip_unprivileged_port_start", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  [[maybe_unused]] const ssize_t n = ::write(fd, "0", 1);
  ::close(fd);
}

// A sysfs of the helper's network namespace, attached nowhere. fsopen wants a mount
// namespace the helper's user namespace owns: it made one of its own, which goes with it.
int detached_sysfs() {
  unique_fd fs(::fsopen("sysfs", FSOPEN_CLOEXEC));
  if (!fs) return -1;
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) return -1;
  return ::fsmount(fs.get(), FSMOUNT_CLOEXEC, 0);
}

// The helper: system calls only, on its own small stack. Joining a user namespace needs
// an unshared fs_struct and no other threads, which a CLONE_VM child without CLONE_FS or
// CLONE_THREAD has.
int helper_main(void* arg) {
  auto& job = *static_cast<HelperJob*>(arg);
  if (job.userns_fd >= 0 && ::setns(job.userns_fd, CLONE_NEWUSER) != 0)
    return fail(job, "join the container's user namespace");
  if (::unshare(CLONE_NEWNET | (job.sysfs ? CLONE_NEWNS : 0)) != 0)
    return fail(job, "unshare(CLONE_NEWNET)");
  if (!bring_up_loopback()) return fail(job, "bring up lo");
  job.netns_fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (job.netns_fd < 0) return fail(job, "open /proc/thread-self/ns/net");
  if (job.sysfs && (job.sysfs_fd = detached_sysfs()) < 0) return fail(job, "mount a sysfs");
  if (job.sysfs) open_low_ports();
  return 0;
}

SpareNetwork run_helper(int userns_fd, bool sysfs) {
  HelperJob job;
  job.userns_fd = userns_fd;
  job.sysfs = sysfs;
  constexpr size_t kStack = 64 * 1024;
  auto stack = std::make_unique<char[]>(kStack);
  // CLONE_VFORK: we wait anyway, and the helper's stack and job stay ours meanwhile; the
  // container's init goes on with its mounts in parallel.
  pid_t pid = ::clone(helper_main, stack.get() + kStack,
                      CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &job);
  if (pid < 0) throw_errno("create the network namespace: clone");
  int status = 0;
  retry_eintr([&] { return ::waitpid(pid, &status, __WALL); });
  SpareNetwork made{unique_fd(job.netns_fd), unique_fd(job.sysfs_fd)};
  if (job.step) throw sys_error(job.err, std::string("create the network namespace: ") + job.step);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !made.net)
    throw Error("create the network namespace: the helper died");
  return made;
}

}  // namespace

unique_fd create_network_namespace(int userns_fd) {
  return std::move(run_helper(userns_fd, false).net);
}

SpareNetwork make_spare_network() {
  return run_helper(-1, true);
}

ExitingChild::~ExitingChild() {
  if (pid_ > 0) retry_eintr([&] { return ::waitpid(pid_, nullptr, 0); });
}

long clone3_in_network(struct clone_args& args, int net_fd, void (*child)(void*), void* arg,
                       pid_t& intermediate) {
  // CLONE_PARENT takes the exit signal of the process that clones: the vfork child's.
  struct clone_args a = args;
  a.flags |= CLONE_PARENT;
  a.flags &= ~static_cast<uint64_t>(CLONE_PIDFD);  // it would land in the child's table
  a.exit_signal = 0;
  volatile long pid = -1;
  volatile int err = 0;
  // vfork: no stack or memory of its own to set up; we are suspended until it exits. The
  // new process starts on (a copy of) our stack, below our frames.
  pid_t mid = ::vfork();
  if (mid == 0) {
    if (::setns(net_fd, CLONE_NEWNET) != 0) {
      err = errno;
      ::_exit(1);
    }
    long p = ::syscall(SYS_clone3, &a, sizeof a);
    if (p == 0) child(arg);
    err = p < 0 ? errno : 0;
    pid = p;
    ::_exit(0);
  }
  if (mid < 0) return -1;
  intermediate = mid;  // it has set pid and err: vfork returns as it starts to exit
  if (err) {
    errno = err;
    return -1;
  }
  if (args.flags & CLONE_PIDFD) {  // ours: the process can't be reaped before we do
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
    if (fd < 0) {
      int saved = errno;
      ::kill(static_cast<pid_t>(pid), SIGKILL);
      retry_eintr([&] { return ::waitpid(static_cast<pid_t>(pid), nullptr, 0); });
      errno = saved;
      return -1;
    }
    *reinterpret_cast<int*>(args.pidfd) = fd;
  }
  return pid;
}

}  // namespace boxrt
