// tmpcopyup: a tmpfs mounted over a directory of the image starts out with what that
// directory held, as under runc and crun (podman asks for it on its --tmpfs mounts). Runs in
// the init, so it neither allocates nor throws: getdents64 into a buffer on the stack, one
// descriptor pair per level, and nothing followed (every open is O_NOFOLLOW, relative to a
// directory already inside the container's tree).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "init/init.hpp"
#include "util/unique_fd.hpp"

namespace boxrt {
namespace {

constexpr int kMaxDepth = 64;

struct Dirent64 {
  ino64_t d_ino;
  off64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

bool copy_file(InitContext& ctx, int from_dir, int to_dir, const char* name, mode_t mode) {
  unique_fd in(::openat(from_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  unique_fd out(
      ::openat(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 07777));
  if (!in || !out) return init_fail(ctx, errno, "tmpcopyup: copy %s", name);
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return init_fail(ctx, errno, "tmpcopyup: read %s", name);
    if (n == 0) return true;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out.get(), buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return init_fail(ctx, errno, "tmpcopyup: write %s", name);
      done += w;
    }
  }
}

bool copy_tree(InitContext& ctx, int from, int to, int depth);

// One entry of a directory: made in `to` as it is in `from`, with its owner and mode.
bool copy_entry(InitContext& ctx, int from, int to, const char* name, int depth) {
  struct stat st;
  if (::fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return init_fail(ctx, errno, "tmpcopyup: stat %s", name);
  int rc = 0;
  if (S_ISDIR(st.st_mode)) {
    if (depth >= kMaxDepth) return init_fail(ctx, ELOOP, "tmpcopyup: %s is nested too deep", name);
    if (::mkdirat(to, name, 0700) != 0) return init_fail(ctx, errno, "tmpcopyup: mkdir %s", name);
    unique_fd sub_from(::openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    unique_fd sub_to(::openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub_from || !sub_to) return init_fail(ctx, errno, "tmpcopyup: open %s", name);
    if (!copy_tree(ctx, sub_from.get(), sub_to.get(), depth + 1)) return false;
  } else if (S_ISREG(st.st_mode)) {
    if (!copy_file(ctx, from, to, name, st.st_mode)) return false;
  } else if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = ::readlinkat(from, name, target, sizeof target - 1);
    if (n < 0) return init_fail(ctx, errno, "tmpcopyup: readlink %s", name);
    target[n] = '\0';
    rc = ::symlinkat(target, to, name);
  } else if (S_ISFIFO(st.st_mode)) {
    rc = ::mknodat(to, name, st.st_mode, 0);
  } else {
    return true;  // sockets, and device nodes, which a tmpfs in a user namespace can't hold
  }
  if (rc != 0) return init_fail(ctx, errno, "tmpcopyup: create %s", name);
  // Owner, then mode (a chown clears set-id bits). An owner our namespace doesn't map stays ours.
  if (::fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 && errno != EINVAL &&
      errno != EPERM)
    return init_fail(ctx, errno, "tmpcopyup: chown %s", name);
  if (!S_ISLNK(st.st_mode) && ::fchmodat(to, name, st.st_mode & 07777, 0) != 0)
    return init_fail(ctx, errno, "tmpcopyup: chmod %s", name);
  return true;
}

bool copy_tree(InitContext& ctx, int from, int to, int depth) {
  alignas(Dirent64) char buf[8192];
  for (;;) {
    long n = ::syscall(SYS_getdents64, from, buf, sizeof buf);
    if (n < 0) return init_fail(ctx, errno, "tmpcopyup: read a directory");
    if (n == 0) return true;
    for (long off = 0; off < n;) {
      const auto* e = reinterpret_cast<const Dirent64*>(buf + off);
      off += e->d_reclen;
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      if (!copy_entry(ctx, from, to, e->d_name, depth)) return false;
    }
  }
}

}  // namespace

bool copy_up(InitContext& ctx, int covered_dir, int tmpfs_root) {
  struct stat st;
  if (!copy_tree(ctx, covered_dir, tmpfs_root, 0)) return false;
  // The tmpfs's root takes the covered directory's owner and mode too.
  if (::fstat(covered_dir, &st) != 0) return init_fail(ctx, errno, "tmpcopyup: stat");
  if (::fchown(tmpfs_root, st.st_uid, st.st_gid) != 0 && errno != EINVAL && errno != EPERM)
    return init_fail(ctx, errno, "tmpcopyup: chown the tmpfs");
  if (::fchmod(tmpfs_root, st.st_mode & 07777) != 0)
    return init_fail(ctx, errno, "tmpcopyup: chmod the tmpfs");
  return true;
}

}  // namespace boxrt
