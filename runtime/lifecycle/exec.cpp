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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init/init.hpp"
#include "launch/console.hpp"
#include "launch/pid_file.hpp"
#include "launch/seccomp_agent.hpp"
#include "launch/signals.hpp"
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

// The init's namespaces that differ from ours, user namespace first.
std::vector<NsFd> open_namespaces(pid_t init) {
  std::vector<NsFd> out;
  const pid_t self = ::getpid();
  for (const auto& k : namespace_kinds()) {
    if (namespace_inode(init, k.proc_name) == namespace_inode(self, k.proc_name)) continue;
    std::string path = "/proc/" + std::to_string(init) + "/ns/" + k.proc_name;
    out.push_back({k.flag, open_file(path, O_RDONLY)});
  }
  return out;
}

[[noreturn]] void helper_fail(InitContext& ctx) {
  char buf[1 + sizeof(InitError)];
  buf[0] = static_cast<char>(SyncMsg::error);
  __builtin_memcpy(buf + 1, &ctx.error, sizeof ctx.error);
  (void)!::write(ctx.sync_fd, buf, sizeof buf);
  ::_exit(1);
}

// In the helper: join, clone the process, report its pid, exit. Never returns.
[[noreturn]] void helper_main(const std::vector<NsFd>& nss, int cgroup_procs, InitContext& ctx,
                              int report_fd) {
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

}  // namespace

int Runtime::exec(const std::string& id, const ExecOptions& o) {
  validate_id(id);
  ContainerRecord r = store_.load(id);
  const oci::Status state_now = live_status(store_, r);
  if (state_now == oci::Status::stopped)
    throw Error("container " + backquoted(id) + " is stopped: cannot exec in it");
  // Until it starts, the init is the runtime's own copy and closed to everyone (init.cpp).
  if (state_now == oci::Status::created)
    throw Error("container " + backquoted(id) + " is created but not started: start it first");
  if (state_now == oci::Status::paused)
    throw Error("container " + backquoted(id) + " is paused: resume it first");
  oci::Spec spec = oci::load_spec(r.state.bundle + "/config.json");
  spec.process = o.process;
  const std::string pid_file = o.pid_file.empty() ? "" : absolute_path(o.pid_file);

  if (rootless_) enter_session_once();
  PlanInputs in;
  in.preserve_fds = o.preserve_fds;
  in.in_session = joined_session_;
  in.can_setgroups = setgroups_allowed();
  in.seccomp_cache = store_.seccomp_cache();
  InitPlan plan = make_exec_plan(spec, in);

  std::vector<NsFd> nss = open_namespaces(*r.state.pid);
  unique_fd cgroup_procs;
  if (!r.cgroup.empty()) cgroup_procs = open_file(r.cgroup + "/cgroup.procs", O_WRONLY);
  // Opened after the checks above: if the init is still the same process now, the
  // namespace descriptors are its.
  if (!is_same_live_process(*r.state.pid, r.start_time))
    throw Error("container " + backquoted(id) + " is stopped: cannot exec in it");
  const bool relay_terminal = plan.terminal && o.console_socket.empty();
  if (relay_terminal && o.detach)
    throw Error("exec -t -d needs --console-socket to send the terminal to");
  unique_fd console;
  std::optional<OwnConsole> own_console;
  if (!o.console_socket.empty()) console = connect_console_socket(o.console_socket);
  if (relay_terminal) console = std::move(own_console.emplace().theirs);
  SeccompAgent agent = connect_seccomp_agent(spec, plan);
  int sv[2], rep[2];
  check(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), "socketpair");
  unique_fd mine(sv[0]), theirs(sv[1]);
  check(::pipe2(rep, O_CLOEXEC), "pipe");
  unique_fd report_r(rep[0]), report_w(rep[1]);

  std::optional<ForwardedSignals> signals;
  if (!o.detach) signals.emplace();
  pid_t helper = check(::fork(), "fork");
  if (helper == 0) {
    InitContext ctx;
    ctx.plan = &plan;
    ctx.sync_fd = theirs.release();
    ctx.console_fd = console ? console.release() : -1;
    ctx.listener_fd = agent.socket.get();
    ctx.listener_state_fd = agent.state.get();
    helper_main(nss, cgroup_procs ? cgroup_procs.get() : -1, ctx, report_w.get());
  }
  theirs.reset();
  report_w.reset();
  int status = 0;
  retry_eintr([&] { return ::waitpid(helper, &status, 0); });
  int32_t word = 0;
  if (retry_eintr([&] { return ::read(report_r.get(), &word, sizeof word); }) != sizeof word) {
    expect_msg(mine.get(), SyncMsg::ready, "while joining the container");  // its error
    throw Error("exec in " + backquoted(id) + ": the helper process died");
  }
  if (word < 0) throw sys_error(-word, "exec in " + backquoted(id) + ": clone3");
  const pid_t pid = word;
  unique_fd pidfd = open_pidfd(pid);
  unique_fd master;
  try {
    oci::State st = r.state;
    st.status = oci::Status::running;
    write_agent_state(agent, spec, st, pid);
    send_msg(mine.get(), SyncMsg::maps_written);
    expect_msg(mine.get(), SyncMsg::ready, "during setup");
    if (own_console) master = own_console->receive_master();
    if (!pid_file.empty()) write_pid_file(pid_file, pid);
    send_msg(mine.get(), SyncMsg::exec_now);
    expect_msg(mine.get(), SyncMsg::error, "at exec");
  } catch (...) {
    ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
    retry_eintr([&] { return ::waitpid(pid, nullptr, 0); });
    throw;
  }
  if (o.detach) return 0;
  return signals->wait_forwarding(pid, pidfd.get(), master ? master.get() : -1);
}

}  // namespace boxrt
