// Init steps that shape the process: terminal, resource limits, descriptors, identity and
// capabilities, working directory, and finding the executable.
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <utility>

#include "init/init.hpp"
#include "util/fd_passing.hpp"
#include "util/sys.hpp"

namespace boxrt {

bool become_namespace_root(InitContext& ctx) {
  if (!(ctx.plan->clone_flags & CLONE_NEWUSER)) return true;
  // We still carry the creator's ids, which the new namespace may not map (real root
  // mapping only subordinate ids): files we create on our own tmpfs would fail with
  // EOVERFLOW. Become the namespace's root for the setup; EINVAL means it maps no root,
  // and then the creator's ids are what we have.
  if (::setresgid(0, 0, 0) != 0 && errno != EINVAL) return init_fail(ctx, errno, "setgid 0");
  if (::setresuid(0, 0, 0) != 0 && errno != EINVAL) return init_fail(ctx, errno, "setuid 0");
  return true;
}

bool join_network(InitContext& ctx) {
  if (!ctx.netns_pending) return true;
  ctx.netns_pending = false;
  unique_fd fd(receive_fd_raw(ctx.sync_fd));
  if (!fd) return init_fail(ctx, errno, "receive the network namespace from the runtime");
  return ::setns(fd.get(), CLONE_NEWNET) == 0 ||
         init_fail(ctx, errno, "join the container's network namespace");
}

bool join_session_keyring(InitContext& ctx) {
  if (!ctx.plan->new_keyring) return true;
  // An anonymous session keyring of its own: the container must not reach the keys of the
  // session that started it. The process possesses it, so it keeps access after setuid.
  constexpr int kJoinSessionKeyring = 1;  // KEYCTL_JOIN_SESSION_KEYRING
  if (::syscall(SYS_keyctl, kJoinSessionKeyring, nullptr) < 0 && errno != ENOSYS)
    return init_fail(ctx, errno, "join a new session keyring");
  return true;
}

bool setup_terminal(InitContext& ctx) {
  if (!ctx.plan->terminal) return true;
  if (ctx.console_fd < 0) return init_fail(ctx, EINVAL, "process.terminal needs a console socket");
  unique_fd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return init_fail(ctx, errno, "open /dev/ptmx (is /dev/pts mounted?)");
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) != 0) return init_fail(ctx, errno, "unlock pty");
  // The peer by descriptor, not by /dev/pts/N path: nothing in the rootfs can swap it.
  unique_fd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY));
  if (!slave) return init_fail(ctx, errno, "open pty peer");
  // The engine copies the master to its own terminal, which maps \n to \r\n itself: with
  // ONLCR here too every line would end in \r (runc clears it as well).
  struct termios tio;
  if (::tcgetattr(slave.get(), &tio) != 0) return init_fail(ctx, errno, "read pty settings");
  tio.c_oflag &= ~static_cast<tcflag_t>(ONLCR);
  if (::tcsetattr(slave.get(), TCSANOW, &tio) != 0)
    return init_fail(ctx, errno, "clear ONLCR on the pty");
  if (const auto& size = ctx.plan->console_size) {
    struct winsize ws = {size->first, size->second, 0, 0};
    if (::ioctl(slave.get(), TIOCSWINSZ, &ws) != 0)
      return init_fail(ctx, errno, "process.consoleSize: set the pty's size");
  }
  // The process's own terminal, as login gives one; its group stays devpts's (tty).
  if (::fchown(slave.get(), ctx.plan->uid, static_cast<gid_t>(-1)) != 0)
    return init_fail(ctx, errno, "chown the pty to uid %u", ctx.plan->uid);
  if (!send_fd(ctx.console_fd, master.get()))
    return init_fail(ctx, errno, "send pty to console socket");
  master.reset();
  ::close(std::exchange(ctx.console_fd, -1));
  if (::setsid() < 0) return init_fail(ctx, errno, "setsid");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0)
    return init_fail(ctx, errno, "set controlling terminal");
  for (int fd = 0; fd < 3; ++fd)
    if (::dup2(slave.get(), fd) < 0) return init_fail(ctx, errno, "dup2 pty");
  if (slave.get() <= 2) (void)slave.release();  // it is one of stdio now
  return true;
}

bool apply_rlimits(InitContext& ctx) {
  for (const auto& r : ctx.plan->rlimits)
    if (::setrlimit(r.resource, &r.limit) != 0)
      return init_fail(ctx, errno, "setrlimit %d (soft %llu, hard %llu)", r.resource,
                       static_cast<unsigned long long>(r.limit.rlim_cur),
                       static_cast<unsigned long long>(r.limit.rlim_max));
  return true;
}

bool apply_oom_score(InitContext& ctx) {
  if (!ctx.plan->oom_score_adj) return true;
  unique_fd fd(::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC));
  char buf[16];
  int n = std::snprintf(buf, sizeof buf, "%d", *ctx.plan->oom_score_adj);
  if (!fd || ::write(fd.get(), buf, static_cast<size_t>(n)) != n)
    return init_fail(ctx, errno, "set oom_score_adj %d", *ctx.plan->oom_score_adj);
  return true;
}

bool close_other_fds(InitContext& ctx) {
  // Nothing of the runtime's may reach the container (CVE-2024-21626): close every
  // descriptor past stdio and --preserve-fds but those still needed until exec, which are
  // close-on-exec. Preserved ones lose close-on-exec so they do reach it.
  const int first = 3 + ctx.plan->preserve_fds;
  for (int fd = 3; fd < first; ++fd)
    ::fcntl(fd, F_SETFD, 0);
  int keep[6 + kNamespaceKinds] = {ctx.sync_fd,           ctx.start_listen_fd,
                                   ctx.creating_state_fd, ctx.created_state_fd,
                                   ctx.listener_fd,       ctx.listener_state_fd};
  size_t n = 6;
  for (size_t i = 0; i < ctx.ns_count; ++i)
    keep[n++] = ctx.ns_fds[i];
  std::sort(keep, keep + n);
  int start = first;
  for (size_t i = 0; i < n; ++i) {
    const int k = keep[i];
    if (k < start) continue;
    if (k > start) ::close_range(static_cast<unsigned>(start), static_cast<unsigned>(k - 1), 0);
    start = k + 1;
  }
  ::close_range(static_cast<unsigned>(start), ~0U, 0);
  return true;
}

namespace {

// Sends the filter's notify fd to the seccomp agent, with the container process state
// (runtime-spec "containerProcessState") as the message.
bool send_to_agent(InitContext& ctx, unique_fd notify) {
  const int notify_fd = notify.get();
  char state[16384];
  ssize_t n = ::pread(ctx.listener_state_fd, state, sizeof state, 0);
  if (n <= 0) return init_fail(ctx, errno, "read the state for the seccomp agent");
  struct iovec iov = {state, static_cast<size_t>(n)};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  __builtin_memcpy(CMSG_DATA(c), &notify_fd, sizeof(int));
  bool ok = retry_eintr([&] { return ::sendmsg(ctx.listener_fd, &msg, MSG_NOSIGNAL); }) == n;
  const unique_fd listener(std::exchange(ctx.listener_fd, -1));
  return ok || init_fail(ctx, errno, "send the seccomp notify fd to linux.seccomp.listenerPath");
}

bool load_seccomp(InitContext& ctx) {
  const SeccompProgram& p = *ctx.plan->seccomp;
  struct sock_fprog prog = {static_cast<unsigned short>(p.code.size()),
                            const_cast<struct sock_filter*>(p.code.data())};
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p.flags, &prog);
  if (rc < 0) return init_fail(ctx, errno, "load the seccomp filter (linux.seccomp)");
  if (p.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
    return send_to_agent(ctx, unique_fd(static_cast<int>(rc)));
  return true;
}

}  // namespace

bool load_seccomp_with_caps(InitContext& ctx) {
  if (!ctx.plan->seccomp || ctx.plan->no_new_privileges) return true;
  return load_seccomp(ctx);
}

bool load_seccomp_last(InitContext& ctx) {
  if (!ctx.plan->seccomp || !ctx.plan->no_new_privileges) return true;
  return load_seccomp(ctx);
}

namespace {

bool write_attr(const char* path, const std::string& value) {
  unique_fd fd(::open(path, O_WRONLY | O_CLOEXEC));
  return fd && ::write(fd.get(), value.data(), value.size()) == static_cast<ssize_t>(value.size());
}

}  // namespace

bool set_exec_labels(InitContext& ctx) {
  const InitPlan& p = *ctx.plan;
  // Newer kernels have a per-LSM directory; /proc/self/attr/exec is the older, shared file.
  if (!p.apparmor_exec.empty() && !write_attr("/proc/self/attr/apparmor/exec", p.apparmor_exec) &&
      !write_attr("/proc/self/attr/exec", p.apparmor_exec))
    return init_fail(ctx, errno, "process.apparmorProfile: %s", p.apparmor_exec.c_str());
  if (!p.selinux_exec.empty() && !write_attr("/proc/self/attr/exec", p.selinux_exec))
    return init_fail(ctx, errno, "process.selinuxLabel: %s", p.selinux_exec.c_str());
  return true;
}

bool switch_identity(InitContext& ctx) {
  const InitPlan& p = *ctx.plan;
  if (p.set_caps) {
    ::prctl(PR_SET_KEEPCAPS, 1);
    for (int cap = 0; cap <= p.last_cap; ++cap)
      if (!(p.cap_bounding & (uint64_t{1} << cap)) && ::prctl(PR_CAPBSET_DROP, cap) != 0 &&
          errno != EINVAL)
        return init_fail(ctx, errno, "drop capability %d from the bounding set", cap);
  }
  if (p.set_groups && ::setgroups(p.groups.size(), p.groups.data()) != 0)
    return init_fail(ctx, errno, "setgroups (%zu groups)", p.groups.size());
  if (::setresgid(p.gid, p.gid, p.gid) != 0)
    return init_fail(ctx, errno, "setgid %u (is it mapped in linux.gidMappings?)", p.gid);
  if (::setresuid(p.uid, p.uid, p.uid) != 0)
    return init_fail(ctx, errno, "setuid %u (is it mapped in linux.uidMappings?)", p.uid);
  if (p.set_caps) {
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {};
    for (int i = 0; i < 2; ++i) {
      data[i].effective = static_cast<uint32_t>(p.cap_effective >> (32 * i));
      data[i].permitted = static_cast<uint32_t>(p.cap_permitted >> (32 * i));
      data[i].inheritable = static_cast<uint32_t>(p.cap_inheritable >> (32 * i));
    }
    if (::syscall(SYS_capset, &hdr, data) != 0) return init_fail(ctx, errno, "capset");
    ::prctl(PR_SET_KEEPCAPS, 0);
    ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int cap = 0; cap <= p.last_cap; ++cap)
      if ((p.cap_ambient & (uint64_t{1} << cap)) &&
          ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
        return init_fail(ctx, errno,
                         "raise ambient capability %d (it must be permitted and inheritable)", cap);
  }
  if (p.umask) ::umask(*p.umask);
  if (p.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return init_fail(ctx, errno, "set no_new_privs");
  return true;
}

bool enter_cwd(InitContext& ctx) {
  // After pivot_root and with every host descriptor closed, cwd can only resolve inside.
  if (::chdir(ctx.plan->cwd.c_str()) != 0)
    return init_fail(ctx, errno, "process.cwd: chdir %s", ctx.plan->cwd.c_str());
  return true;
}

bool find_executable(InitContext& ctx) {
  const char* arg0 = ctx.plan->args.empty() ? "" : ctx.plan->args[0].c_str();
  auto usable = [](const char* path) {
    struct stat st;
    return ::stat(path, &st) == 0 && S_ISREG(st.st_mode) && ::access(path, X_OK) == 0;
  };
  if (std::strchr(arg0, '/')) {
    std::snprintf(ctx.exe, sizeof ctx.exe, "%s", arg0);
    if (usable(ctx.exe)) return true;
    return init_fail(ctx, errno ? errno : EACCES, "process.args[0]: %s", arg0);
  }
  const char* dir = ctx.plan->search_path.c_str();
  while (true) {
    const char* end = std::strchr(dir, ':');
    size_t len = end ? static_cast<size_t>(end - dir) : std::strlen(dir);
    std::snprintf(ctx.exe, sizeof ctx.exe, "%.*s/%s", static_cast<int>(len ? len : 1),
                  len ? dir : ".", arg0);
    if (usable(ctx.exe)) return true;
    if (!end) break;
    dir = end + 1;
  }
  return init_fail(ctx, ENOENT, "process.args[0]: %s not found in the container (PATH=%s)", arg0,
                   ctx.plan->search_path.c_str());
}

}  // namespace boxrt
