// Runtime::share_path: a host file or folder bound into a running container, read-only, at
// its own path, as `boxapp APP FILE` binds it at the start, for a box that runs already
// (a second file handed to a running app). The mount API makes it: a detached bind of the
// path, cloned in a mount namespace of the session's (where we hold CAP_SYS_ADMIN: the
// host's own is the initial user namespace's), then attached inside the container's mount
// namespace, whose user namespace is a child of the session's.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "init/init.hpp"
#include "lifecycle/container.hpp"
#include "lifecycle/runtime.hpp"
#include "ns/session.hpp"
#include "util/error.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

// The steps, in a child of ours (our own mount namespace is left as it is): an errno and
// the step that failed, or 0.
struct Failure {
  int err = 0;
  char step[64] = {};
};

Failure bind_into(int container_mnt, const std::string& path, bool rootless) {
  Failure f;
  auto fail = [&](const char* step) {
    f.err = errno;
    std::snprintf(f.step, sizeof f.step, "%s", step);
    return f;
  };
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return fail("stat");
  if (rootless) {
    try {
      join_session(ensure_session());
    } catch (const Error&) {
      return fail("join the session's user namespace");
    }
  }
  // A mount namespace of our own to clone from: the bind is then ours to make.
  if (::unshare(CLONE_NEWNS) != 0) return fail("unshare a mount namespace");
  const unsigned recursive = S_ISDIR(st.st_mode) ? AT_RECURSIVE : 0;
  unique_fd tree(static_cast<int>(
      ::open_tree(AT_FDCWD, path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | recursive)));
  if (!tree) return fail("open_tree");
  // Read-only, all of it: the app reads what it was handed and can't change it on the host.
  struct mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | recursive, &attr, sizeof attr) != 0)
    return fail("mount_setattr");
  if (::setns(container_mnt, CLONE_NEWNS) != 0) return fail("join the container's mount namespace");
  // Its mount point made inside the container's root: a symlink the container planted on
  // the way can't send the mount out of its own tree.
  unique_fd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail("open the container's root");
  unique_fd target = open_target(root.get(), path.c_str() + 1, !S_ISDIR(st.st_mode));
  if (!target) return fail("make the mount point");
  if (::move_mount(tree.get(), "", target.get(), "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
    return fail("move_mount");
  return f;
}

}  // namespace

void Runtime::share_path(const std::string& id, const std::string& path) {
  validate_id(id);
  if (path.empty() || path[0] != '/')
    throw Error("share " + backquoted(path) + ": not an absolute path");
  ContainerRecord r = store_.load(id);
  if (live_status(store_, r) == oci::Status::stopped || !r.state.pid)
    throw Error("container " + backquoted(id) + " is not running");
  // Opened as ourselves, before the child joins the session.
  unique_fd mnt = open_namespace_of(*r.state.pid, "mnt");
  int pipefd[2];
  check(::pipe2(pipefd, O_CLOEXEC), "pipe");
  unique_fd rd(pipefd[0]), wr(pipefd[1]);
  const pid_t child = check(::fork(), "fork");
  if (child == 0) {
    const Failure f = bind_into(mnt.get(), path, rootless_ && !joined_session_);
    (void)!::write(wr.get(), &f, sizeof f);
    ::_exit(f.err ? 1 : 0);
  }
  wr.reset();
  Failure f;
  const ssize_t n = retry_eintr([&] { return ::read(rd.get(), &f, sizeof f); });
  retry_eintr([&] { return ::waitpid(child, nullptr, 0); });
  if (n != sizeof f)
    throw Error("share " + path + " into container " + backquoted(id) + ": the helper died");
  if (f.err)
    throw sys_error(f.err, "share " + path + " into container " + backquoted(id) + ": " + f.step);
}

}  // namespace boxrt
