// exec: a new process in a running container.
//
// A forked helper joins the init's namespaces (user first: it grants the capabilities the
// others need; but a network namespace of the session's comes before it) and clones the process
// with CLONE_PARENT, so that it starts inside the pid namespace yet is the runtime's own child,
// whose exit status the runtime can wait for. The helper never enters the pid namespace itself and
// exits at once.
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "init/init.hpp"
#include "launch/console.hpp"
#include "launch/pid_file.hpp"
#include "launch/seccomp_agent.hpp"
#include "launch/signals.hpp"
#include "launch/start_socket.hpp"
#include "launch/sync.hpp"
#include "lifecycle/runtime.hpp"
#include "ns/namespaces.hpp"
#include "ns/session.hpp"
#include "util/error.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

struct NsFd {
  int type;
  unique_fd fd;
};

bool is_ours(int type, uint64_t inode) {
  for (const auto& k : namespace_kinds())
    if (k.flag == type) return inode == namespace_inode(::getpid(), k.proc_name);
  return false;
}

// The init's namespaces that differ from ours, user namespace first.
std::vector<NsFd> open_namespaces(pid_t init) {
  std::vector<NsFd> out;
  for (const auto& k : namespace_kinds()) {
    if (is_ours(k.flag, namespace_inode(init, k.proc_name))) continue;
    std::string path = "/proc/" + std::to_string(init) + "/ns/" + k.proc_name;
    out.push_back({k.flag, open_file(path, O_RDONLY)});
  }
  return out;
}

// The same, and its root, from a created init itself (launch/start_socket.hpp): until it
// execs, its /proc files are closed to a plain user's runtime. Empty once it no longer waits.
std::optional<std::vector<NsFd>> namespaces_from_init(const std::string& socket, unique_fd& root) {
  std::optional<InitNamespaces> got = request_namespaces(socket);
  if (!got) return std::nullopt;
  std::vector<NsFd> out;
  for (auto& [type, fd] : got->nss) {
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) throw_errno("stat a namespace of the container's");
    if (!is_ours(type, st.st_ino)) out.push_back({type, std::move(fd)});
  }
  root = std::move(got->root);
  return out;
}

[[noreturn]] void helper_fail(InitContext& ctx) {
  report_error_and_exit(ctx.sync_fd, ctx.error, 1);
}

// In the helper: join, clone the process, report its pid, exit. Never returns.
[[noreturn]] void helper_main(const std::vector<NsFd>& nss, int cgroup_procs, int root_fd,
                              InitContext& ctx, int report_fd) {
  ::prctl(PR_SET_DUMPABLE, 0);
  // Into the container's cgroup first, while the move is still ours to make: inside its
  // cgroup namespace our own cgroup would be out of sight. The process inherits it.
  if (cgroup_procs >= 0 && ::write(cgroup_procs, "0", 1) != 1) {
    init_fail(ctx, errno, "join the container's cgroup");
    helper_fail(ctx);
  }
  // A network namespace the session made ahead (ns/spare_network.hpp) is the session's, not the
  // container's: joined while we are still in the session's user namespace, or never.
  bool net_joined = false;
  for (const auto& ns : nss)
    if (ns.type == CLONE_NEWNET) net_joined = ::setns(ns.fd.get(), ns.type) == 0;
  for (const auto& ns : nss)
    if (!(ns.type == CLONE_NEWNET && net_joined) && ::setns(ns.fd.get(), ns.type) != 0) {
      init_fail(ctx, errno, "join the container's namespace %#x", ns.type);
      helper_fail(ctx);
    }
  // A container in our own mount namespace is its init's chroot; joining a mount namespace
  // would have set the root.
  if (root_fd >= 0 && (::fchdir(root_fd) != 0 || ::chroot(".") != 0)) {
    init_fail(ctx, errno, "chroot into the container's root");
    helper_fail(ctx);
  }
  struct clone_args args = {};
  args.flags = CLONE_PARENT;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) {
    ::close(report_fd);
    exec_main(ctx);
  }
  int32_t word = pid < 0 ? -errno : static_cast<int32_t>(pid);
  (void)!::write(report_fd, &word, sizeof word);
  ::_exit(pid < 0 ? 1 : 0);
}

// The running container a process joins, with its spec and the process in it.
struct Joining {
  ContainerRecord record;
  oci::Spec spec;
  std::string pid_file;
  bool created = false;  // not started yet: runc lets tools set it up from inside
};

Joining load_running(const StateStore& store, const std::string& id, const ExecOptions& o) {
  validate_id(id);
  Joining j{store.load(id), {}, {}};
  const oci::Status state_now = live_status(store, j.record);
  if (state_now == oci::Status::stopped)
    throw Error("container " + backquoted(id) + " is stopped: cannot exec in it");
  if (state_now == oci::Status::paused)
    throw Error("container " + backquoted(id) + " is paused: resume it first");
  j.created = state_now == oci::Status::created;
  j.spec = oci::load_spec(j.record.state.bundle + "/config.json");
  j.spec.process = o.process;
  j.pid_file = o.pid_file.empty() ? "" : absolute_path(o.pid_file);
  return j;
}

// What the helper is given: the init's namespaces and cgroup, the console, the seccomp
// agent, the sync socket and a pipe for the new process's pid.
struct ExecFds {
  std::vector<NsFd> nss;
  unique_fd cgroup_procs, console;
  unique_fd root;  // the init's root, when it shares our mount namespace
  std::optional<OwnConsole> own_console;
  SeccompAgent agent;
  unique_fd mine, theirs, report_r, report_w;
};

ExecFds open_exec_fds(const StateStore& store, const std::string& id, const Joining& j,
                      const InitPlan& plan, const ExecOptions& o) {
  ExecFds f;
  const ContainerRecord& r = j.record;
  unique_fd init_root;
  std::optional<std::vector<NsFd>> from_init;
  // A created init, or a reaper, answers; other inits' /proc files are open to us.
  if (j.created)
    from_init = namespaces_from_init(store.start_socket_of(id), init_root);
  else if (path_exists(store.namespaces_socket_of(id)))
    from_init = namespaces_from_init(store.namespaces_socket_of(id), init_root);
  if (from_init)
    f.nss = std::move(*from_init);
  else
    f.nss = open_namespaces(*r.state.pid);
  if (!o.sub_cgroup.empty() && r.cgroup.empty())
    throw Error("exec --cgroup: container " + backquoted(id) + " has no cgroup of its own");
  if (!r.cgroup.empty()) {
    // runc exec --cgroup: an existing sub-cgroup of the container's.
    const std::string dir = o.sub_cgroup.empty() ? r.cgroup : r.cgroup + "/" + o.sub_cgroup;
    try {
      f.cgroup_procs = open_file(dir + "/cgroup.procs", O_WRONLY);
    } catch (const Error& e) {
      if (e.code() != ENOENT || o.sub_cgroup.empty()) throw;
      throw Error("exec --cgroup: container " + backquoted(id) + " has no sub-cgroup " +
                  backquoted(o.sub_cgroup) + " (make it first, as under runc)");
    }
  }
  const bool own_mount_ns = std::any_of(f.nss.begin(), f.nss.end(),
                                        [](const NsFd& ns) { return ns.type == CLONE_NEWNS; });
  if (!own_mount_ns && from_init) f.root = std::move(init_root);
  if (!own_mount_ns && !from_init)
    f.root = open_file("/proc/" + std::to_string(*r.state.pid) + "/root", O_PATH | O_DIRECTORY);
  // Checked after opening them: if the init is still the same process now, the namespace
  // (and root) descriptors are its, not a recycled pid's.
  if (!is_same_live_process(*r.state.pid, r.start_time))
    throw Error("container " + backquoted(id) + " is stopped: cannot exec in it");
  const bool relay_terminal = plan.terminal && o.console_socket.empty();
  if (relay_terminal && o.detach)
    throw Error("exec -t -d needs --console-socket to send the terminal to");
  if (!o.console_socket.empty()) f.console = connect_console_socket(o.console_socket);
  if (relay_terminal) f.console = std::move(f.own_console.emplace().theirs);
  f.agent = connect_seccomp_agent(j.spec, plan);
  int sv[2], rep[2];
  check(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), "socketpair");
  f.mine.reset(sv[0]);
  f.theirs.reset(sv[1]);
  check(::pipe2(rep, O_CLOEXEC), "pipe");
  f.report_r.reset(rep[0]);
  f.report_w.reset(rep[1]);
  return f;
}

// Forks the helper, which clones the process into the container; its pid.
pid_t spawn_in_container(const std::string& id, const InitPlan& plan, ExecFds& f) {
  pid_t helper = check(::fork(), "fork");
  if (helper == 0) {
    InitContext ctx;
    ctx.plan = &plan;
    ctx.sync_fd = f.theirs.release();
    ctx.console_fd = f.console ? f.console.release() : -1;
    ctx.listener_fd = f.agent.socket.get();
    ctx.listener_state_fd = f.agent.state.get();
    helper_main(f.nss, f.cgroup_procs ? f.cgroup_procs.get() : -1, f.root ? f.root.get() : -1, ctx,
                f.report_w.get());
  }
  f.theirs.reset();
  f.report_w.reset();
  int status = 0;
  retry_eintr([&] { return ::waitpid(helper, &status, 0); });
  int32_t word = 0;
  if (retry_eintr([&] { return ::read(f.report_r.get(), &word, sizeof word); }) != sizeof word) {
    expect_msg(f.mine.get(), SyncMsg::ready, "while joining the container");  // its error
    throw Error("exec in " + backquoted(id) + ": the helper process died");
  }
  if (word < 0) throw sys_error(-word, "exec in " + backquoted(id) + ": clone3");
  return word;
}

// The process sets itself up and execs on our word; killed if anything fails first. Its
// pty master, when we relay its terminal.
unique_fd let_exec(pid_t pid, int pidfd, const Joining& j, ExecFds& f) {
  unique_fd master;
  try {
    oci::State st = j.record.state;
    st.status = oci::Status::running;
    write_agent_state(f.agent, j.spec, st, pid);
    send_msg(f.mine.get(), SyncMsg::maps_written);
    expect_msg(f.mine.get(), SyncMsg::ready, "during setup");
    if (f.own_console) master = f.own_console->receive_master();
    if (!j.pid_file.empty()) write_pid_file(j.pid_file, pid);
    send_msg(f.mine.get(), SyncMsg::exec_now);
    expect_msg(f.mine.get(), SyncMsg::error, "at exec");
  } catch (...) {
    ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
    retry_eintr([&] { return ::waitpid(pid, nullptr, 0); });
    throw;
  }
  return master;
}

}  // namespace

int Runtime::exec(const std::string& id, const ExecOptions& o) {
  Joining j = load_running(store_, id, o);
  if (rootless_) enter_session_once();
  PlanInputs in;
  in.bundle = j.record.state.bundle;
  in.preserve_fds = o.preserve_fds;
  in.in_session = joined_session_;
  in.can_setgroups = setgroups_allowed();
  in.seccomp_cache = store_.seccomp_cache();
  InitPlan plan = make_exec_plan(j.spec, in);
  ExecFds fds = open_exec_fds(store_, id, j, plan, o);
  std::optional<ForwardedSignals> signals;
  if (!o.detach) signals.emplace();
  const pid_t pid = spawn_in_container(id, plan, fds);
  unique_fd pidfd = open_pidfd(pid);
  unique_fd master = let_exec(pid, pidfd.get(), j, fds);
  if (o.detach) return 0;
  return signals->wait_forwarding(pid, pidfd.get(), master ? master.get() : -1);
}

}  // namespace boxrt
