// The container's init, from clone to execve. Runs in the cloned child: it must not throw
// or allocate (the parent may have been multi-threaded), so every step returns false and
// fills InitContext::error instead, which init_main sends to the parent.
#pragma once

#include <cstddef>

#include "init/plan.hpp"
#include "launch/sync.hpp"
#include "ns/namespaces.hpp"

namespace boxrt {

struct InitContext {
  const InitPlan* plan = nullptr;
  int sync_fd = -1;
  int start_listen_fd = -1;     // create: the start socket (launch/start_socket.hpp), or -1
  int console_fd = -1;          // connected console socket, or -1
  int stdio[3] = {-1, -1, -1};  // the process's stdin/stdout/stderr, if not ours
  int start_fd = -1;            // `start`'s connection once started; closed by execve
  // create, or with a reaper: the init's own namespaces, for `exec` (keep_namespaces).
  int ns_fds[kNamespaceKinds] = {};
  int ns_flags[kNamespaceKinds] = {};
  size_t ns_count = 0;
  // The state on the stdin of createContainer and startContainer hooks (memfds the parent
  // fills after clone), or -1.
  int creating_state_fd = -1, created_state_fd = -1;
  // For a seccomp filter with notify actions: a socket connected to linux.seccomp's
  // listenerPath, and a memfd with the container process state to send with the fd.
  int listener_fd = -1, listener_state_fd = -1;
  int rootfd = -1;
  // A new network namespace is made by the runtime beside us (ns/netns.hpp) and comes on the
  // sync socket; join_network joins it before the first sysfs mount, or after all mounts.
  bool netns_pending = false;
  // Or we are in the session's spare already (ns/spare_network.hpp): a sysfs of it, detached, which
  // the first sysfs mount moves into place (the session could mount one; we can't).
  int sysfs_fd = -1;
  char exe[4096] = {};  // args[0] as found in the container
  InitError error;
};

// tmpcopyup (init/copyup.cpp): the tree under covered_dir, copied into the new tmpfs.
bool copy_up(InitContext& ctx, int covered_dir, int tmpfs_root);

// O_PATH descriptor of `path` inside the root, creating missing directories on the way and,
// when is_file, the last component as an empty file. A dangling symlink on the way is
// followed inside the root and its target created there, as the kernel would resolve it
// (so the image can point a mount anywhere in itself, and nowhere outside). Returns -1 with
// errno set. Also for a mount made into a running container (lifecycle/share.cpp).
unique_fd open_target(int rootfd, const char* path, bool is_file);

// Sets *ctx.error from a printf format; always returns false.
bool init_fail(InitContext& ctx, int err, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

// The steps, in the order init_main runs them (init/rootfs.cpp, init/process.cpp). First,
// while the init's /proc files are still its own to write (before PR_SET_DUMPABLE 0):
bool apply_oom_score(InitContext& ctx);
// The step table, from the new namespaces to a process ready to exec:
bool become_namespace_root(InitContext& ctx);
bool join_mount_namespace(InitContext& ctx);  // one named by path: the init joins it
bool set_root_propagation(InitContext& ctx);
bool bind_rootfs(InitContext& ctx);
bool mount_all(InitContext& ctx);
bool join_network(InitContext& ctx);  // before the first sysfs mount (mount_all), or here
bool create_devices(InitContext& ctx);
bool link_dev_entries(InitContext& ctx);
bool set_host_names(InitContext& ctx);
bool keep_namespaces(InitContext& ctx);   // create, reaper: our namespaces, now they are final
bool run_create_hooks(InitContext& ctx);  // wait for the runtime's hooks, run createContainer
bool enter_rootfs(InitContext& ctx);      // pivot_root, or MS_MOVE + chroot with --no-pivot
bool apply_root_propagation(InitContext& ctx);
bool make_cwd(InitContext& ctx);  // a missing process.cwd, made as runc makes it
bool make_root_readonly(InitContext& ctx);
bool make_dev_readonly(InitContext& ctx);
bool apply_sysctls(InitContext& ctx);  // before mask_paths makes /proc/sys read-only
bool mask_paths(InitContext& ctx);
bool join_session_keyring(InitContext& ctx);
bool setup_terminal(InitContext& ctx);
bool apply_rlimits(InitContext& ctx);
bool close_other_fds(InitContext& ctx);
bool load_seccomp_with_caps(InitContext& ctx);  // without no_new_privs: needs CAP_SYS_ADMIN
bool switch_identity(InitContext& ctx);
bool enter_cwd(InitContext& ctx);
bool find_executable(InitContext& ctx);
// create: serves the start socket (init/wait_start.cpp) until `start` comes.
bool wait_for_start(InitContext& ctx);
// Sends the kept namespaces and our "/" on a connection of the start socket.
void answer_namespaces(InitContext& ctx, int conn);
// Once started (after the startContainer hooks), right before execve:
bool set_exec_labels(InitContext& ctx);    // AppArmor profile / SELinux label for execve
bool load_seccomp_last(InitContext& ctx);  // with no_new_privs: nothing may follow it
// InitPlan::reaper: the process is a child that execs, and we stay as pid 1
// (init/reaper.cpp). Never returns.
[[noreturn]] void exec_under_reaper(InitContext& ctx);
// Reports ctx.error where the caller of a started init listens, and exits.
[[noreturn]] void fail_after_start(InitContext& ctx, int status);

// Runs the steps, reports to the parent, waits to be started and execs. Never returns.
[[noreturn]] void init_main(InitContext& ctx);

// The same for a process joining a running container (exec): already in its namespaces,
// it only shapes itself (terminal, limits, fds, identity, cwd) and execs on the parent's word.
[[noreturn]] void exec_main(InitContext& ctx);

}  // namespace boxrt
