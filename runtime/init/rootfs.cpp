// Init steps that build the container's file system: propagation, the rootfs bind, the
// spec's mounts, device nodes, /dev links, pivot_root, read-only root and masked paths.
//
// Every mount target is opened with openat2(RESOLVE_IN_ROOT) relative to the rootfs and the
// mount made onto /proc/self/fd/N: a symlink planted in the image (or swapped in during
// setup) resolves inside the rootfs, never to the host (CVE-2021-30465).
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "init/init.hpp"
#include "util/unique_fd.hpp"

namespace boxrt {
namespace {

int openat2_in_root(int rootfd, const char* path, int flags) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, rootfd, path, &how, sizeof how));
}

// Replaces, in `path`, the first `prefix_len` bytes (a symlink) by the link's target,
// resolved as the kernel would inside the root: absolute targets from the root, relative
// ones from the link's directory. False when the result doesn't fit.
bool substitute_link(char* path, size_t prefix_len, const char* target) {
  char out[4096];
  const char* rest = path + prefix_len;
  int n;
  if (target[0] == '/') {
    n = std::snprintf(out, sizeof out, "%s%s", target, rest);
  } else {
    size_t dir_len = prefix_len;
    while (dir_len > 0 && path[dir_len - 1] != '/')
      --dir_len;
    n = std::snprintf(out, sizeof out, "%.*s%s%s", static_cast<int>(dir_len), path, target, rest);
  }
  if (n < 0 || static_cast<size_t>(n) >= sizeof out) return false;
  std::memcpy(path, out, static_cast<size_t>(n) + 1);
  return true;
}

}  // namespace

unique_fd open_target(int rootfd, const char* path, bool is_file) {
  unique_fd fd(openat2_in_root(rootfd, path, O_PATH));
  if (fd || errno != ENOENT) return fd;
  char cur[4096], prefix[4096], link[4096];
  if (std::snprintf(cur, sizeof cur, "%s", path) >= static_cast<int>(sizeof cur)) {
    errno = ENAMETOOLONG;
    return {};
  }
  for (int hops = 0; hops < 40; ++hops) {
    bool substituted = false;
    const size_t len = std::strlen(cur);
    for (size_t i = 1; i <= len && !substituted; ++i) {
      if (i < len && cur[i] != '/') continue;
      if (cur[i - 1] == '/') continue;  // empty component
      std::memcpy(prefix, cur, i);
      prefix[i] = '\0';
      if (unique_fd(openat2_in_root(rootfd, prefix, O_PATH))) continue;
      if (errno != ENOENT) return {};
      // The component is missing, or a link to something missing. Work in its parent,
      // itself opened inside the root.
      char* slash = std::strrchr(prefix, '/');
      *slash = '\0';
      unique_fd parent(prefix[0] ? openat2_in_root(rootfd, prefix, O_PATH | O_DIRECTORY)
                                 : ::fcntl(rootfd, F_DUPFD_CLOEXEC, 3));
      if (!parent) return {};
      const char* name = slash + 1;
      ssize_t n = ::readlinkat(parent.get(), name, link, sizeof link - 1);
      int rc = 0;
      if (n >= 0) {
        link[n] = '\0';
        substituted = substitute_link(cur, i, link);
        if (!substituted) return errno = ENAMETOOLONG, unique_fd();
      } else if (i == len && is_file) {
        unique_fd made(::openat(parent.get(), name,
                                O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644));
        rc = made ? 0 : -1;
      } else {
        rc = ::mkdirat(parent.get(), name, 0755);
      }
      if (rc < 0 && errno != EEXIST) return {};
    }
    if (!substituted) return unique_fd(openat2_in_root(rootfd, cur, O_PATH));
  }
  errno = ELOOP;
  return {};
}

namespace {

struct FdPath {
  char text[40];
  explicit FdPath(int fd) { std::snprintf(text, sizeof text, "/proc/self/fd/%d", fd); }
};

int set_attrs(int fd, uint64_t set, uint64_t clr, bool recursive) {
  struct mount_attr attr = {};
  attr.attr_set = set;
  attr.attr_clr = clr;
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  return ::mount_setattr(fd, "", flags, &attr, sizeof attr);
}

// Mounts the step's fallback after the kernel refused the mount itself.
int mount_fallback(const MountStep& m, const char* target) {
  switch (m.fallback) {
    case MountFallback::bind_host_sys:
      return ::mount("/sys", target, nullptr, MS_BIND | MS_REC, nullptr);
    case MountFallback::bind_host_proc:
      return ::mount("/proc", target, nullptr, MS_BIND | MS_REC, nullptr);
    case MountFallback::bind_host_cgroup:
      return ::mount("/sys/fs/cgroup", target, nullptr, MS_BIND | MS_REC, nullptr);
    case MountFallback::devpts_without_gid:
      return ::mount(m.source.c_str(), target, m.type.c_str(), m.flags, m.fallback_data.c_str());
    case MountFallback::none:
      break;
  }
  return -1;
}

bool mount_one(InitContext& ctx, const MountStep& m) {
  unique_fd target = open_target(ctx.rootfd, m.destination.c_str(), m.is_bind && m.is_file);
  if (!target) return init_fail(ctx, errno, "mount target %s", m.destination.c_str());
  FdPath tpath(target.get());
  // tmpcopyup: what the tmpfs will cover, kept open; filled before any ro applies.
  unique_fd covered;
  if (m.copy_up) {
    covered.reset(::openat(target.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!covered) return init_fail(ctx, errno, "tmpcopyup: open %s", m.destination.c_str());
  }
  const unsigned long flags =
      m.copy_up ? m.flags & ~static_cast<unsigned long>(MS_RDONLY) : m.flags;
  int rc;
  if (m.is_bind) {
    rc = ::mount(m.source.c_str(), tpath.text, nullptr, flags, nullptr);
  } else {
    rc = ::mount(m.source.c_str(), tpath.text, m.type.c_str(), flags,
                 m.data.empty() ? nullptr : m.data.c_str());
  }
  bool fell_back = false;
  if (rc != 0 && m.fallback != MountFallback::none &&
      (errno == EPERM || errno == EINVAL || errno == EACCES || errno == EBUSY)) {
    rc = mount_fallback(m, tpath.text);
    fell_back = rc == 0 && m.fallback != MountFallback::devpts_without_gid;
  }
  if (rc != 0)
    return init_fail(ctx, errno, "mount %s (%s) onto %s", m.source.c_str(),
                     m.is_bind ? "bind" : m.type.c_str(), m.destination.c_str());
  // A mount at / (an image's layers as an overlay, as podman would have mounted them) is
  // the root from now on: what follows goes into it, and pivot_root takes it.
  if (m.destination == "/") {
    unique_fd top(::open(ctx.plan->rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!top) return init_fail(ctx, errno, "open the root mounted on %s", ctx.plan->rootfs.c_str());
    ::close(ctx.rootfd);
    ctx.rootfd = top.release();
  }
  // What is on /proc now must really be procfs, whatever the mount call was told
  // (CVE-2019-19921: a racing symlink swap could have put something else there).
  if (m.type == "proc" && !fell_back) {
    struct statfs sfs;
    unique_fd top(openat2_in_root(ctx.rootfd, m.destination.c_str(), O_PATH));
    if (!top || ::fstatfs(top.get(), &sfs) != 0 || sfs.f_type != PROC_SUPER_MAGIC)
      return init_fail(ctx, EPERM, "mount %s: what is there is not procfs", m.destination.c_str());
  }

  if (covered) {
    unique_fd top(openat2_in_root(ctx.rootfd, m.destination.c_str(), O_RDONLY | O_DIRECTORY));
    if (!top)
      return init_fail(ctx, errno, "tmpcopyup: open the tmpfs on %s", m.destination.c_str());
    if (!copy_up(ctx, covered.get(), top.get())) return false;
    if ((m.flags & MS_RDONLY) && set_attrs(top.get(), MOUNT_ATTR_RDONLY, 0, false) != 0)
      return init_fail(ctx, errno, "make %s read-only", m.destination.c_str());
  }

  uint64_t set = m.attr_set, clr = m.attr_clr;
  // A bind of the host's tree gets the options the fs mount would have had, all the way down.
  bool recursive = m.attr_recursive || fell_back;
  bool need_attrs = (m.is_bind || fell_back || m.attr_recursive) && (set || clr);
  if (!need_attrs && !m.propagation) return true;
  // Reopen: the descriptor must name the new mount, not the directory under it.
  unique_fd mnt(openat2_in_root(ctx.rootfd, m.destination.c_str(), O_PATH));
  if (!mnt) return init_fail(ctx, errno, "reopen mount %s", m.destination.c_str());
  rc = need_attrs ? set_attrs(mnt.get(), set, clr, recursive) : 0;
  if (rc == 0 && m.propagation)
    rc = ::mount(nullptr, FdPath(mnt.get()).text, nullptr, m.propagation, nullptr);
  if (rc != 0) return init_fail(ctx, errno, "set options of mount %s", m.destination.c_str());
  return true;
}

bool make_device(InitContext& ctx, const DeviceStep& d) {
  if (ctx.plan->bind_devices) {
    unique_fd target = open_target(ctx.rootfd, d.path.c_str(), /*is_file=*/true);
    if (!target) return init_fail(ctx, errno, "create %s", d.path.c_str());
    return ::mount(d.host_path.c_str(), FdPath(target.get()).text, nullptr, MS_BIND, nullptr) ==
               0 ||
           init_fail(ctx, errno, "bind device %s", d.path.c_str());
  }
  // mknod in the parent directory, itself opened inside the root.
  char parent_path[4096];
  std::snprintf(parent_path, sizeof parent_path, "%s", d.path.c_str());
  char* slash = std::strrchr(parent_path, '/');
  const char* name = d.path.c_str() + (slash - parent_path) + 1;
  *slash = '\0';
  unique_fd parent = open_target(ctx.rootfd, parent_path[0] ? parent_path : "/", false);
  if (!parent) return init_fail(ctx, errno, "open parent of %s", d.path.c_str());
  ::unlinkat(parent.get(), name, 0);
  int rc = ::mknodat(parent.get(), name, d.mode, d.dev);
  // mknod applies the caller's umask (022 under containerd: a crw-r--r-- /dev/null that no
  // non-root process can write); the spec's mode is the mode.
  if (rc == 0) rc = ::fchmodat(parent.get(), name, d.mode & 07777, 0);
  if (rc == 0) rc = ::fchownat(parent.get(), name, d.uid, d.gid, AT_SYMLINK_NOFOLLOW);
  return rc == 0 || init_fail(ctx, errno, "mknod %s", d.path.c_str());
}

}  // namespace

bool join_mount_namespace(InitContext& ctx) {
  for (const auto& [flag, fd] : ctx.plan->joins)
    if (flag == CLONE_NEWNS && ::setns(fd.get(), CLONE_NEWNS) != 0)
      return init_fail(ctx, errno, "join the mount namespace named in linux.namespaces");
  return true;
}

bool set_root_propagation(InitContext& ctx) {
  // In the caller's mount namespace, / is the caller's: leave it be.
  if (!ctx.plan->own_mount_ns) return true;
  // Our mount namespace starts as a copy of the host's: don't let what we mount propagate
  // back. Shared comes after pivot_root, which refuses shared mounts.
  unsigned long flags = ctx.plan->root_propagation;
  if (flags & MS_SHARED) flags = MS_SLAVE | MS_REC;
  if (::mount(nullptr, "/", nullptr, flags, nullptr) != 0)
    return init_fail(ctx, errno, "set propagation of /");
  return true;
}

bool apply_root_propagation(InitContext& ctx) {
  // Already set at the start, or the caller's.
  if (!(ctx.plan->root_propagation & MS_SHARED) || !ctx.plan->own_mount_ns) return true;
  if (::mount(nullptr, "/", nullptr, ctx.plan->root_propagation, nullptr) != 0)
    return init_fail(ctx, errno, "linux.rootfsPropagation: make / shared");
  return true;
}

bool bind_rootfs(InitContext& ctx) {
  const char* rootfs = ctx.plan->rootfs.c_str();
  // pivot_root needs the new root to be a mount point; chroot, in the caller's mount
  // namespace, doesn't.
  if (ctx.plan->own_mount_ns && ::mount(rootfs, rootfs, nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return init_fail(ctx, errno, "bind rootfs %s", rootfs);
  ctx.rootfd = ::open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ctx.rootfd < 0) return init_fail(ctx, errno, "open rootfs %s", rootfs);
  return true;
}

// The sysfs that came with the session's spare network namespace (ns/spare_network.hpp): moved into
// place with the step's options.
bool move_sysfs_into_place(InitContext& ctx, const MountStep& m) {
  const unique_fd sysfs(std::exchange(ctx.sysfs_fd, -1));
  unique_fd target = open_target(ctx.rootfd, m.destination.c_str(), false);
  int rc = !target ? -1 : set_attrs(sysfs.get(), m.attr_set, m.attr_clr, false);
  if (rc == 0)
    rc = ::move_mount(sysfs.get(), "", target.get(), "",
                      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  if (rc != 0) return init_fail(ctx, errno, "move sysfs onto %s", m.destination.c_str());
  if (!m.propagation) return true;
  unique_fd mnt(openat2_in_root(ctx.rootfd, m.destination.c_str(), O_PATH));
  rc = !mnt ? -1 : ::mount(nullptr, FdPath(mnt.get()).text, nullptr, m.propagation, nullptr);
  return rc == 0 || init_fail(ctx, errno, "set propagation of mount %s", m.destination.c_str());
}

bool mount_all(InitContext& ctx) {
  for (const auto& m : ctx.plan->mounts) {
    if (m.type == "sysfs" && ctx.sysfs_fd >= 0) {
      if (!move_sysfs_into_place(ctx, m)) return false;
      continue;
    }
    // sysfs shows the network namespace of whoever mounts it, and may only be mounted by
    // its owner.
    if (m.type == "sysfs" && !join_network(ctx)) return false;
    if (!mount_one(ctx, m)) return false;
  }
  return true;
}

bool create_devices(InitContext& ctx) {
  for (const auto& d : ctx.plan->devices)
    if (!make_device(ctx, d)) return false;
  return true;
}

bool link_dev_entries(InitContext& ctx) {
  unique_fd dev = open_target(ctx.rootfd, "/dev", false);
  if (!dev) return init_fail(ctx, errno, "open /dev");
  struct Link {
    const char* target;
    const char* name;
  };
  const Link links[] = {{"/proc/self/fd", "fd"},
                        {"/proc/self/fd/0", "stdin"},
                        {"/proc/self/fd/1", "stdout"},
                        {"/proc/self/fd/2", "stderr"},
                        {"pts/ptmx", "ptmx"}};
  for (const auto& l : links) {
    if (std::strcmp(l.name, "ptmx") == 0 && !ctx.plan->has_dev_pts) continue;
    if (::symlinkat(l.target, dev.get(), l.name) != 0 && errno != EEXIST)
      return init_fail(ctx, errno, "symlink /dev/%s", l.name);
  }
  // /dev/shm for POSIX shared memory, when no mount provided it.
  ::mkdirat(dev.get(), "shm", 01777);
  return true;
}

bool set_host_names(InitContext& ctx) {
  const auto& h = ctx.plan->hostname;
  if (h && ::sethostname(h->c_str(), h->size()) != 0)
    return init_fail(ctx, errno, "sethostname %s", h->c_str());
  const auto& d = ctx.plan->domainname;
  if (d && ::setdomainname(d->c_str(), d->size()) != 0)
    return init_fail(ctx, errno, "setdomainname %s", d->c_str());
  return true;
}

bool enter_rootfs(InitContext& ctx) {
  const char* rootfs = ctx.plan->rootfs.c_str();
  if (::fchdir(ctx.rootfd) != 0) return init_fail(ctx, errno, "chdir %s", rootfs);
  if (!ctx.plan->own_mount_ns) {
    if (::chroot(".") != 0) return init_fail(ctx, errno, "chroot %s", rootfs);
  } else if (ctx.plan->no_pivot) {
    if (::mount(rootfs, "/", nullptr, MS_MOVE, nullptr) != 0)
      return init_fail(ctx, errno, "move %s to /", rootfs);
    if (::chroot(".") != 0) return init_fail(ctx, errno, "chroot %s", rootfs);
  } else {
    unique_fd old_root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!old_root) return init_fail(ctx, errno, "open old root");
    // pivot_root(".", "."): the old root ends up stacked on the new one; detach it.
    if (::syscall(SYS_pivot_root, ".", ".") != 0)
      return init_fail(ctx, errno, "pivot_root %s", rootfs);
    // From the old root's directory, "." is the old root mount, not the new one under it.
    // Slave first, so that unmounting it doesn't propagate to the host.
    if (::fchdir(old_root.get()) != 0) return init_fail(ctx, errno, "chdir to the old root");
    old_root.reset();
    if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
      return init_fail(ctx, errno, "make old root rslave");
    if (::umount2(".", MNT_DETACH) != 0) return init_fail(ctx, errno, "detach old root");
  }
  if (::chdir("/") != 0) return init_fail(ctx, errno, "chdir /");
  ::close(ctx.rootfd);
  ctx.rootfd = -1;
  return true;
}

bool make_cwd(InitContext& ctx) {
  // runc and crun make a missing process.cwd (owned by the container's root) while / may
  // still be written. Component by component from the new root, following no link at all:
  // host descriptors are still open here, and a cwd of /proc/self/fd/N/x must not make a
  // directory on the host (CVE-2024-21626). Anything odd stops the walk; enter_cwd, after
  // those descriptors are closed, then reports what chdir says.
  const std::string& cwd = ctx.plan->cwd;
  unique_fd dir(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  char name[256];
  for (size_t i = 1; dir && i < cwd.size();) {
    size_t end = cwd.find('/', i);
    if (end == std::string::npos) end = cwd.size();
    const size_t len = end - i;
    if (len == 0 || len >= sizeof name) break;
    std::memcpy(name, cwd.data() + i, len);
    name[len] = '\0';
    if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) break;
    struct open_how how = {};
    how.flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    int fd = static_cast<int>(::syscall(SYS_openat2, dir.get(), name, &how, sizeof how));
    if (fd < 0 && errno == ENOENT && ::mkdirat(dir.get(), name, 0755) == 0)
      fd = static_cast<int>(::syscall(SYS_openat2, dir.get(), name, &how, sizeof how));
    dir.reset(fd);
    i = end + 1;
  }
  return true;
}

bool make_dev_readonly(InitContext& ctx) {
  if (!ctx.plan->readonly_dev) return true;
  unique_fd fd(::open("/dev", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  int rc = !fd ? -1 : set_attrs(fd.get(), MOUNT_ATTR_RDONLY, 0, false);
  return rc == 0 || init_fail(ctx, errno, "make /dev read-only");
}

bool make_root_readonly(InitContext& ctx) {
  if (!ctx.plan->readonly_root) return true;
  unique_fd fd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  int rc = !fd ? -1 : set_attrs(fd.get(), MOUNT_ATTR_RDONLY, 0, false);
  return rc == 0 || init_fail(ctx, errno, "make / read-only");
}

bool apply_sysctls(InitContext& ctx) {
  // /proc is the container's now: its /proc/sys shows the container's own namespaces.
  for (const auto& [path, value] : ctx.plan->sysctls) {
    unique_fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd || ::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
      return init_fail(ctx, errno, "linux.sysctl: write %s to %s", value.c_str(), path.c_str());
  }
  return true;
}

bool mask_paths(InitContext& ctx) {
  if (!ctx.plan->masked_paths.empty()) {
    // Files are masked with a bind of /dev/null: make sure it is the null device, not
    // something the image put there.
    struct stat null_st;
    if (::stat("/dev/null", &null_st) != 0 || !S_ISCHR(null_st.st_mode) ||
        null_st.st_rdev != makedev(1, 3))
      return init_fail(ctx, EPERM, "mask paths: /dev/null in the container is not the null device");
  }
  // Directories get an empty read-only tmpfs: the first its own, the others a bind of it
  // (a new superblock for each costs more than a bind).
  const char* empty_dir = nullptr;
  for (const auto& p : ctx.plan->masked_paths) {
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      return init_fail(ctx, errno, "masked path %s", p.c_str());
    }
    int rc;
    if (!S_ISDIR(st.st_mode))
      rc = ::mount("/dev/null", p.c_str(), nullptr, MS_BIND, nullptr);
    else if (empty_dir)
      rc = ::mount(empty_dir, p.c_str(), nullptr, MS_BIND, nullptr);
    else if ((rc = ::mount("tmpfs", p.c_str(), "tmpfs", MS_RDONLY, "size=0")) == 0)
      empty_dir = p.c_str();
    if (rc != 0) return init_fail(ctx, errno, "mask %s", p.c_str());
  }
  for (const auto& p : ctx.plan->readonly_paths) {
    if (::mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      if (errno == ENOENT) continue;
      return init_fail(ctx, errno, "bind read-only path %s", p.c_str());
    }
    unique_fd fd(::open(p.c_str(), O_PATH | O_CLOEXEC));
    if (!fd || set_attrs(fd.get(), MOUNT_ATTR_RDONLY, 0, true) != 0)
      return init_fail(ctx, errno, "make %s read-only", p.c_str());
  }
  return true;
}

}  // namespace boxrt
