// create and run: from a bundle to a container init waiting to be started (or running).
//
// The parent's side of a start is the list of steps in kStartSteps, each a short function
// below, in the order they run; the init's side, from clone to execve, is the step table in
// init/init.cpp. What a step makes belongs to the Start, whose destructor undoes all of it
// when a later step fails: nothing half-made stays behind (state directory, cgroup, init).
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <optional>

#include "cgroup/cgroup.hpp"
#include "cgroup/systemd_scope.hpp"
#include "init/init.hpp"
#include "launch/console.hpp"
#include "launch/notify_socket.hpp"
#include "launch/pid_file.hpp"
#include "launch/seccomp_agent.hpp"
#include "launch/signals.hpp"
#include "launch/start_socket.hpp"
#include "launch/sync.hpp"
#include "lifecycle/hooks.hpp"
#include "lifecycle/runtime.hpp"
#include "ns/namespaces.hpp"
#include "ns/netns.hpp"
#include "ns/session.hpp"
#include "ns/spare_network.hpp"
#include "oci/spec.hpp"
#include "util/error.hpp"
#include "util/fd_passing.hpp"
#include "util/log.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxrt {

struct Runtime::Launched {
  pid_t pid = -1;
  unique_fd pidfd;
  unique_fd pty_master;  // when we relay the container's terminal ourselves
  ContainerRecord record;
};

namespace {

// Everything one start holds, in the order the steps make it.
struct Start {
  Start(const std::string& i, const CreateOptions& opts, LaunchMode m, StateStore& st)
      : id(i), o(opts), mode(m), store(st) {}
  Start(const Start&) = delete;
  Start& operator=(const Start&) = delete;
  ~Start();

  const std::string& id;
  const CreateOptions& o;
  const LaunchMode mode;
  StateStore& store;
  CgroupManager cgroup_manager = CgroupManager::cgroupfs;
  bool rootless = false, in_session = false, can_mknod = false;

  std::string bundle, config, pid_file;
  oci::Spec spec;
  std::optional<ScopeRequester> scopes;
  IdMaps maps;
  InitPlan plan;
  bool relay_terminal = false;

  bool claimed = false;  // the state directory is ours to remove
  std::optional<FileLock> lock;
  std::optional<ContainerCgroup> cgroup;
  unique_fd start_socket, console;
  std::optional<OwnConsole> own_console;
  unique_fd creating_state, created_state;  // hooks' stdin in the init
  SeccompAgent agent;
  unique_fd mine, theirs;  // the sync socket (launch/sync.hpp)
  std::optional<SpareNetwork> ahead;
  bool net_beside = false;
  unique_fd beside;       // that network namespace, once made
  unique_fd init_userns;  // for a network namespace made beside the init

  pid_t pid = -1;
  unique_fd pidfd;
  std::optional<ExitingChild> intermediate;
  ContainerRecord record;
  unique_fd pty_master;
  unique_fd notify;  // the container's NOTIFY_SOCKET (launch/notify_socket.hpp)
  bool done = false;
};

// A start that did not get through is destroyed (runtime-spec lifecycle step 12), so step
// 13 follows: hooks may have set up things outside (a network, say) that poststop hooks
// undo. Then the cgroup and the state directory go.
Start::~Start() {
  if (done) return;
  try {
    if (pid > 0) {
      ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
      retry_eintr([&] { return ::waitpid(pid, nullptr, 0); });
      record.state.status = oci::Status::stopped;
      run_hooks_warning("poststop", record.hooks.poststop, record.state);
    }
    intermediate.reset();
    lock.reset();
    if (cgroup) destroy_cgroup(cgroup->path);
    if (claimed) store.erase(id);
  } catch (const std::exception& e) {
    log_warning("clean up after a failed start of " + backquoted(id) + ": " + e.what());
  }
}

// RFC 3339 in UTC with nanoseconds, as runc's `created`.
std::string now_rfc3339() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%09ldZ", ts.tv_nsec);
  return buf;
}

// ---- before the session: in the caller's own user namespace ---------------------------

void read_bundle(Start& s) {
  validate_id(s.id);
  s.bundle = absolute_path(s.o.bundle);
  struct stat st;
  if (::stat(s.bundle.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Error("bundle " + backquoted(s.bundle) + " does not exist");
  s.config = s.o.config.empty() ? s.bundle + "/config.json" : absolute_path(s.o.config);
  if (!s.o.spec && ::access(s.config.c_str(), F_OK) != 0)
    throw Error("bundle " + backquoted(s.bundle) + " has no " + base_name(s.config));
  s.pid_file = s.o.pid_file.empty() ? "" : absolute_path(s.o.pid_file);
  s.spec = s.o.spec ? *s.o.spec : oci::load_spec(s.config);
}

// systemd is asked from outside the session user namespace (cgroup/systemd_scope.hpp).
void connect_systemd(Start& s) {
  // The user's manager for a user, and for uid 0 of a user namespace (podman rootless runs
  // us so), as runc and crun choose it: only real root asks the system's.
  const bool user_manager = s.rootless || !in_initial_user_namespace();
  if (s.cgroup_manager == CgroupManager::systemd) s.scopes.emplace(user_manager);
}

// ---- the steps -----------------------------------------------------------------------

// Sockets systemd passed us (socket activation, LISTEN_PID ours): handed on to the
// container's process as runc does, as fds 3.. with LISTEN_PID=1.
int activation_fds() {
  const char* fds = std::getenv("LISTEN_FDS");
  const char* pid = std::getenv("LISTEN_PID");
  if (!fds || !*fds || (pid && std::atoi(pid) != ::getpid())) return 0;
  const int n = std::atoi(fds);
  return n > 0 && n < 4096 ? n : 0;
}

void plan_init(Start& s) {
  PlanInputs in;
  in.listen_fds = activation_fds();
  if (const char* names = std::getenv("LISTEN_FDNAMES"); names && in.listen_fds)
    in.listen_fdnames = names;
  in.bundle = s.bundle;
  in.no_pivot = s.o.no_pivot;
  in.no_new_keyring = s.o.no_new_keyring;
  in.preserve_fds = s.o.preserve_fds;
  in.in_session = s.in_session;
  in.can_setgroups = setgroups_allowed();
  in.can_mknod = s.can_mknod;
  in.seccomp_cache = s.store.seccomp_cache();
  s.maps = make_id_maps(s.spec, in);
  s.plan = make_plan(s.spec, in);
  s.relay_terminal = s.plan.terminal && s.o.console_socket.empty();
  if (s.relay_terminal && s.mode != LaunchMode::run)
    throw Error(
        "process.terminal: a container that runs detached needs --console-socket to "
        "send its terminal to");
}

// The id is ours from here, and locked: commands that change the box wait until it is
// created (or running).
void claim_id(Start& s) {
  s.store.claim(s.id);
  s.claimed = true;
  s.lock.emplace(s.store.lock(s.id));
}

// The caller's NOTIFY_SOCKET, passed on: the container's socket is bound now for a run,
// at `start` after a create.
void plan_notify(Start& s) {
  if (s.o.notify == CreateOptions::Notify::none) return;
  plan_notify_socket(s.store.dir_of(s.id), s.plan);
  if (s.mode != LaunchMode::create) s.notify = bind_notify_socket(s.store.dir_of(s.id));
}

// cgroupfs: made before clone, so that the init starts inside it and nothing runs
// unlimited, even briefly. systemd's scope comes after clone (join_systemd_scope).
void make_cgroup(Start& s) {
  if (s.cgroup_manager == CgroupManager::disabled)
    no_cgroup(s.spec, "cgroups are disabled (--cgroup-manager=disabled)");
  else if (s.cgroup_manager == CgroupManager::cgroupfs)
    s.cgroup = create_container_cgroup(s.spec, s.id);
}

// What the init is given: the start socket (create), the console, hooks' state, the seccomp
// agent, and its end of the sync socket.
void open_init_fds(Start& s) {
  // A reaper hands `exec` the namespaces on it for the container's whole life.
  if (s.mode == LaunchMode::create)
    s.start_socket = listen_start_socket(s.store.start_socket_of(s.id));
  else if (s.plan.reaper)
    s.start_socket = listen_start_socket(s.store.namespaces_socket_of(s.id));
  if (!s.o.console_socket.empty()) s.console = connect_console_socket(s.o.console_socket);
  if (s.relay_terminal) s.console = std::move(s.own_console.emplace().theirs);
  // Filled once the init's pid is known; the init keeps them for its own hooks.
  if (!s.plan.create_container_hooks.empty()) s.creating_state = new_state_fd();
  if (!s.plan.start_container_hooks.empty()) s.created_state = new_state_fd();
  s.agent = connect_seccomp_agent(s.spec, s.plan);
  int sv[2];
  check(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), "socketpair");
  s.mine.reset(sv[0]);
  s.theirs.reset(sv[1]);
}

// The namespaces the init starts in rather than makes: a new time namespace entered in its
// "for children" slot with the spec's offsets (they can only be set before any process has
// entered), and those linux.namespaces names by path, user namespace first; but a mount
// namespace only the init joins (join_mount_namespace).
void enter_given_namespaces(Start& s) {
  if (s.plan.new_time_ns) {
    if (::unshare(CLONE_NEWTIME) != 0) throw_errno("unshare time namespace");
    if (!s.plan.time_offsets.empty()) {
      unique_fd fd = open_file("/proc/self/timens_offsets", O_WRONLY);
      write_all(fd.get(), s.plan.time_offsets, "/proc/self/timens_offsets");
    }
  }
  for (auto& [flag, fd] : s.plan.joins)
    if (flag != CLONE_NEWNS && ::setns(fd.get(), flag) != 0)
      throw_errno(std::string("join the ") + namespace_spec_type(flag) +
                  " namespace named in linux.namespaces");
}

// The init, in its new namespaces. A new network namespace is the session's spare, asked
// for ahead by the caller (ns/spare_network.hpp), or else one made beside the init while it
// mounts (ns/netns.hpp).
void clone_init(Start& s) {
  const bool new_net = s.plan.clone_flags & CLONE_NEWNET;
  if (new_net && s.o.network_ahead && s.in_session) s.ahead = s.o.network_ahead->take();
  s.net_beside = new_net && !s.ahead;
  int pidfd = -1;
  struct clone_args args = {};
  args.flags = static_cast<uint64_t>(s.plan.clone_flags & ~CLONE_NEWNET) | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  if (s.cgroup) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(s.cgroup->dir.get());
  }
  InitContext ctx;  // the init's copy is its own
  ctx.plan = &s.plan;
  ctx.sync_fd = s.theirs.get();
  ctx.start_listen_fd = s.start_socket ? s.start_socket.get() : -1;
  ctx.console_fd = s.console ? s.console.get() : -1;
  for (int i = 0; i < 3; ++i)
    ctx.stdio[i] = s.o.stdio[static_cast<size_t>(i)];
  ctx.creating_state_fd = s.creating_state.get();
  ctx.created_state_fd = s.created_state.get();
  ctx.listener_fd = s.agent.socket.get();
  ctx.listener_state_fd = s.agent.state.get();
  ctx.netns_pending = s.net_beside;
  ctx.sysfs_fd = s.ahead ? s.ahead->sysfs.get() : -1;
  auto run_init = [](void* c) { init_main(*static_cast<InitContext*>(c)); };
  pid_t intermediate = -1;
  long pid = s.ahead ? clone3_in_network(args, s.ahead->net.get(), run_init, &ctx, intermediate)
                     : ::syscall(SYS_clone3, &args, sizeof args);
  s.intermediate.emplace(intermediate);
  if (pid < 0) throw_errno("clone3 (create the container's namespaces)");
  if (pid == 0) run_init(&ctx);
  s.pid = static_cast<pid_t>(pid);
  s.pidfd.reset(pidfd);
  s.theirs.reset();
  if (log_enabled(LogLevel::debug))
    log_debug("container " + backquoted(s.id) + ": init is process " + std::to_string(pid) +
              ", uid map " + describe_id_map(s.maps.uids) + ", gid map " +
              describe_id_map(s.maps.gids));
}

// The state record, as `state` will show it once saved.
void make_record(Start& s) {
  ContainerRecord& rec = s.record;
  rec.state.oci_version = std::string(oci::kVersion);
  rec.state.id = s.id;
  rec.state.status = oci::Status::creating;
  rec.state.pid = s.pid;
  rec.state.bundle = s.bundle;
  rec.state.annotations = s.spec.annotations;
  rec.state.extra["rootfs"] = s.plan.rootfs;
  rec.state.extra["created"] = now_rfc3339();
  if (s.cgroup) rec.cgroup = s.cgroup->path;
  if (s.spec.hooks) {
    rec.hooks.poststart = s.spec.hooks->poststart;
    rec.hooks.poststop = s.spec.hooks->poststop;
  }
}

// systemd: the scope, with its limits, while the init waits for maps_written: nothing runs
// before it is limited.
void join_systemd_scope(Start& s) {
  if (!s.scopes) return;
  auto [slice, name] = systemd_unit_of(
      s.spec.linux && s.spec.linux->cgroups_path ? *s.spec.linux->cgroups_path : "", s.id);
  std::string path;
  try {
    path = s.scopes->start(name, slice, s.pid);
  } catch (const Error& e) {
    no_cgroup(s.spec, std::string("no scope from systemd: ") + e.what());
    return;
  }
  apply_container_resources(path, s.spec);
  s.cgroup.emplace().path = path;
  s.record.cgroup = path;
}

// The init's user namespace gets its maps (we are privileged over it: it is a child of
// ours), and it goes on.
void write_maps(Start& s) {
  write_agent_state(s.agent, s.spec, s.record.state, s.pid);
  // Opened while the init is still dumpable (it waits for maps_written).
  if (s.net_beside && (s.plan.clone_flags & CLONE_NEWUSER))
    s.init_userns = open_file("/proc/" + std::to_string(s.pid) + "/ns/user", O_RDONLY);
  if (!s.maps.uids.empty())
    write_id_maps(s.pid, s.maps.uids, s.maps.gids, /*deny_setgroups=*/false);
  send_msg(s.mine.get(), SyncMsg::maps_written);
}

// Made while the init mounts what doesn't need it; it joins it at its first sysfs mount.
void send_network_beside(Start& s) {
  if (!s.net_beside) return;
  s.beside = create_network_namespace(s.init_userns ? s.init_userns.get() : -1);
  if (!send_fd(s.mine.get(), s.beside.get()))
    throw_errno("send the network namespace to the container's init");
}

// The caller's plumbing of the new network namespace (CreateOptions::network_ready), while
// the init mounts; its process waits for it.
void plumb_network(Start& s) {
  if (!s.o.network_ready || !(s.plan.clone_flags & CLONE_NEWNET)) return;
  const int net = s.ahead ? s.ahead->net.get() : s.beside.get();
  if (net >= 0) s.o.network_ready(net, s.pid);
}

// prestart and createRuntime hooks, while the init waits at its hook stop (namespaces and
// mounts made, before pivot_root).
void run_runtime_hooks(Start& s) {
  if (!s.plan.hook_stop) return;
  expect_msg(s.mine.get(), SyncMsg::hook_stop, "during setup");
  run_hooks("prestart", s.spec.hooks->prestart, s.record.state);
  run_hooks("createRuntime", s.spec.hooks->create_runtime, s.record.state);
  if (s.creating_state) write_state_fd(s.creating_state.get(), s.record.state);
  send_msg(s.mine.get(), SyncMsg::hooks_done);
}

// create: the init stops once ready and the record says so. run: the record is made and
// the init told to go on while it still sets up, so its process starts the moment it is
// ready (before_start's work overlaps the init's).
void save_record(Start& s) {
  auto ps = read_proc_stat(s.pid);
  if (!ps) throw Error("container init died during setup");
  s.record.start_time = ps->start_time;
  if (s.mode == LaunchMode::create) expect_msg(s.mine.get(), SyncMsg::ready, "during setup");
  if (s.mode != LaunchMode::create && s.o.before_start) s.o.before_start(s.pid);
  s.record.state.status = oci::Status::created;
  if (s.created_state) write_state_fd(s.created_state.get(), s.record.state);
  s.store.save(s.record);
  if (!s.pid_file.empty()) write_pid_file(s.pid_file, s.pid);
}

// create: the init waits on the start socket for `start`, no longer tied to our life. run: it
// execs, and the socket's EOF says it did.
void let_go(Start& s) {
  const bool create = s.mode == LaunchMode::create;
  send_msg(s.mine.get(), create ? SyncMsg::wait_start : SyncMsg::exec_now);
  if (!create) expect_msg(s.mine.get(), SyncMsg::ready, "during setup");
  if (s.own_console) s.pty_master = s.own_console->receive_master();
  if (create)
    expect_msg(s.mine.get(), SyncMsg::detached, "after setup");
  else
    expect_msg(s.mine.get(), SyncMsg::error, "at exec");  // EOF: exec'd
}

// The parent's side of a start, in order, once the bundle is read and the session joined.
using StartStep = void (*)(Start&);
constexpr StartStep kStartSteps[] = {
    plan_init,               // id maps and the init plan, before anything is made
    claim_id,                // the state directory and its lock: undone from here on
    plan_notify,             // NOTIFY_SOCKET: the container's own, in the state directory
    make_cgroup,             // cgroupfs: before clone, the init starts inside it
    open_init_fds,           // start socket, console, hooks' state, seccomp agent, sync socket
    enter_given_namespaces,  // time namespace offsets; linux.namespaces given by path
    clone_init,              // the init, in its new namespaces; it waits for its maps
    make_record,             // the state record
    join_systemd_scope,      // --systemd-cgroup: the scope, before the init runs on
    write_maps,              // uid/gid maps; the init goes on
    send_network_beside,     // a network namespace made while the init mounts
    plumb_network,           // the caller's network_ready, on it
    run_runtime_hooks,       // prestart, createRuntime at the init's hook stop
    save_record,             // start time, before_start, state.json, --pid-file
    let_go,                  // create: wait for `start`; run: exec
};

}  // namespace

Runtime::Launched Runtime::launch(const std::string& id, const CreateOptions& o, LaunchMode mode) {
  Start s(id, o, mode, store_);
  s.cgroup_manager = cgroup_manager_;
  s.rootless = rootless_;
  s.can_mknod = can_mknod_;
  read_bundle(s);
  // --cgroup-manager=disabled says the run goes without, as it asks.
  if (resources_required_ && cgroup_manager_ != CgroupManager::disabled)
    require_resources_as_runc(s.spec);
  connect_systemd(s);
  if (rootless_) enter_session_once();
  s.in_session = joined_session_;
  for (StartStep step : kStartSteps)
    step(s);
  if (s.notify)
    relay_ready(s.notify.get(), s.pidfd.get(), s.pid, caller_notify_socket(),
                o.notify == CreateOptions::Notify::container);
  if (mode != LaunchMode::create) {
    s.record.state.status = oci::Status::running;
    run_hooks_warning("poststart", s.record.hooks.poststart, s.record.state);
    if (o.started) o.started(s.pid);
  }
  s.done = true;
  Launched launched;
  launched.pid = s.pid;
  launched.pidfd = std::move(s.pidfd);
  launched.pty_master = std::move(s.pty_master);
  launched.record = std::move(s.record);
  return launched;
}

void Runtime::create(const std::string& id, const CreateOptions& options) {
  launch(id, options, LaunchMode::create);
}

int Runtime::run(const std::string& id, const CreateOptions& options, bool detach, bool keep) {
  if (detach) {
    launch(id, options, LaunchMode::run_detached);
    return 0;
  }
  int status;
  {
    ForwardedSignals signals;
    Launched c = launch(id, options, LaunchMode::run);
    status = signals.wait_forwarding(c.pid, c.pidfd.get(), c.pty_master ? c.pty_master.get() : -1);
    if (!keep) destroy(c.record);
  }
  return status;
}

}  // namespace boxrt
