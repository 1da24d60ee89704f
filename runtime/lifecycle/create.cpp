// create and run: from a bundle to a container init waiting to be started (or running).
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <ctime>

#include "cgroup/cgroup.hpp"
#include "lifecycle/hooks.hpp"
#include "init/init.hpp"
#include "launch/launch_support.hpp"
#include "ns/namespaces.hpp"
#include "ns/netns.hpp"
#include "lifecycle/runtime.hpp"
#include "ns/session.hpp"
#include "cgroup/systemd_scope.hpp"
#include "oci/spec.hpp"
#include "util/atomic_file.hpp"
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

// Enters the time namespace's "for children" slot with the spec's offsets: the init then
// starts inside it (offsets can only be set before any process has entered).
void prepare_time_namespace(const InitPlan& plan) {
  if (!plan.new_time_ns) return;
  if (::unshare(CLONE_NEWTIME) != 0) throw_errno("unshare time namespace");
  if (plan.time_offsets.empty()) return;
  unique_fd fd = open_file("/proc/self/timens_offsets", O_WRONLY);
  write_all(fd.get(), plan.time_offsets, "/proc/self/timens_offsets");
}

// The container's scope from systemd with its limits applied, or empty when it has none.
std::string systemd_scope(ScopeRequester& scopes, const oci::Spec& spec, const std::string& id,
                          pid_t pid) {
  auto [slice, name] =
      systemd_unit_of(spec.linux && spec.linux->cgroups_path ? *spec.linux->cgroups_path : "", id);
  std::string path;
  try {
    path = scopes.start(name, slice, pid);
  } catch (const Error& e) {
    no_cgroup(spec, std::string("no scope from systemd: ") + e.what());
    return "";
  }
  apply_container_resources(path, spec);
  return path;
}

}  // namespace

Runtime::Runtime(RuntimeOptions options)
    : store_(options.root.empty() ? default_root() : options.root),
      cgroup_manager_(options.cgroup_manager) {
  const bool is_root = ::geteuid() == 0;
  rootless_ = options.rootless == RootlessMode::yes ||
              (options.rootless == RootlessMode::automatic && !is_root);
  can_mknod_ = is_root && !rootless_ && in_initial_user_namespace();
}

std::string Runtime::default_root() {
  if (::geteuid() == 0) return "/run/boxapp-runtime";
  const char* xdg = ::getenv("XDG_RUNTIME_DIR");
  if (xdg && *xdg) return std::string(xdg) + "/boxapp-runtime";
  return "/tmp/boxapp-runtime-" + std::to_string(::getuid());
}

void Runtime::enter_session_once() {
  if (joined_session_ || ::geteuid() == 0) return;
  Session s = ensure_session();
  join_session(s);
  joined_session_ = true;
}

Runtime::Launched Runtime::launch(const std::string& id, const CreateOptions& o, Mode mode) {
  validate_id(id);
  const std::string bundle = absolute_path(o.bundle);
  struct stat st;
  if (::stat(bundle.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Error("bundle " + backquoted(bundle) + " does not exist");
  const std::string config = o.config.empty() ? bundle + "/config.json" : absolute_path(o.config);
  if (!o.spec && ::access(config.c_str(), F_OK) != 0)
    throw Error("bundle " + backquoted(bundle) + " has no " + base_name(config));
  const std::string pid_file = o.pid_file.empty() ? "" : absolute_path(o.pid_file);
  oci::Spec spec = o.spec ? *o.spec : oci::load_spec(config);

  // systemd is asked from outside the session user namespace (systemd_scope.hpp).
  std::optional<ScopeRequester> scopes;
  if (cgroup_manager_ == CgroupManager::systemd) scopes.emplace(rootless_);
  if (rootless_) enter_session_once();
  PlanInputs in;
  in.bundle = bundle;
  in.no_pivot = o.no_pivot;
  in.no_new_keyring = o.no_new_keyring;
  in.preserve_fds = o.preserve_fds;
  in.in_session = joined_session_;
  in.can_setgroups = setgroups_allowed();
  in.can_mknod = can_mknod_;
  in.seccomp_cache = store_.seccomp_cache();
  IdMaps maps = make_id_maps(spec, in);
  InitPlan plan = make_plan(spec, in);
  const bool relay_terminal = plan.terminal && o.console_socket.empty();
  if (relay_terminal && mode != Mode::run)
    throw Error(
        "process.terminal: a container that runs detached needs --console-socket to "
        "send its terminal to");

  // The id is ours from here; anything that fails below must leave nothing behind.
  store_.claim(id);
  Launched child;
  std::optional<ContainerCgroup> cgroup;
  try {
    FileLock lock = store_.lock(id);
    if (cgroup_manager_ == CgroupManager::disabled)
      no_cgroup(spec, "cgroups are disabled (--cgroup-manager=disabled)");
    else if (cgroup_manager_ == CgroupManager::cgroupfs)
      cgroup = create_container_cgroup(spec, id);
    unique_fd fifo;
    if (mode == Mode::create) {
      if (::mkfifo(store_.fifo_of(id).c_str(), 0600) != 0) throw_errno("mkfifo exec.fifo");
      fifo = open_file(store_.fifo_of(id), O_PATH);
    }
    unique_fd console;
    std::optional<OwnConsole> own_console;
    if (!o.console_socket.empty()) console = connect_console_socket(o.console_socket);
    if (relay_terminal) console = std::move(own_console.emplace().theirs);
    prepare_time_namespace(plan);
    for (auto& [flag, fd] : plan.joins)
      if (::setns(fd.get(), flag) != 0)
        throw_errno(std::string("join the ") + namespace_spec_type(flag) +
                    " namespace named in linux.namespaces");
    // Filled once the init's pid is known; the init keeps them for its own hooks.
    unique_fd creating_state, created_state;
    if (!plan.create_container_hooks.empty()) creating_state = new_state_fd();
    if (!plan.start_container_hooks.empty()) created_state = new_state_fd();
    SeccompAgent agent = connect_seccomp_agent(spec, plan);
    int sv[2];
    check(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), "socketpair");
    unique_fd mine(sv[0]), theirs(sv[1]);

    int pidfd = -1;
    struct clone_args args = {};
    // A new network namespace: the session's spare, asked for ahead by the caller, or else
    // one made beside the init while it mounts (netns.hpp).
    const bool new_net = plan.clone_flags & CLONE_NEWNET;
    std::optional<SpareNetwork> ahead;
    if (new_net && o.network_ahead && joined_session_) ahead = o.network_ahead->take();
    const bool net_beside = new_net && !ahead;
    args.flags = static_cast<uint64_t>(plan.clone_flags & ~CLONE_NEWNET) | CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    if (cgroup) {  // the init starts inside it: nothing runs unlimited, even briefly
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = static_cast<uint64_t>(cgroup->dir.get());
    }
    InitContext ctx;  // the init's copy is its own
    ctx.plan = &plan;
    ctx.sync_fd = theirs.get();
    ctx.fifo_fd = fifo ? fifo.get() : -1;
    ctx.console_fd = console ? console.get() : -1;
    ctx.creating_state_fd = creating_state.get();
    ctx.created_state_fd = created_state.get();
    ctx.listener_fd = agent.socket.get();
    ctx.listener_state_fd = agent.state.get();
    ctx.netns_pending = net_beside;
    ctx.sysfs_fd = ahead ? ahead->sysfs.get() : -1;
    auto run_init = [](void* c) { init_main(*static_cast<InitContext*>(c)); };
    pid_t intermediate = -1;
    long pid = ahead ? clone3_in_network(args, ahead->net.get(), run_init, &ctx, intermediate)
                     : ::syscall(SYS_clone3, &args, sizeof args);
    ExitingChild intermediate_exit(intermediate);
    if (pid < 0) throw_errno("clone3 (create the container's namespaces)");
    if (pid == 0) run_init(&ctx);
    child.pid = static_cast<pid_t>(pid);
    child.pidfd.reset(pidfd);
    if (log_enabled(LogLevel::debug))
      log_debug("container " + backquoted(id) + ": init is process " + std::to_string(pid) +
                ", uid map " + describe_id_map(maps.uids) + ", gid map " +
                describe_id_map(maps.gids));
    theirs.reset();
    ContainerRecord& rec = child.record;
    rec.state.oci_version = std::string(oci::kVersion);
    rec.state.id = id;
    rec.state.status = oci::Status::creating;
    rec.state.pid = child.pid;
    rec.state.bundle = bundle;
    rec.state.annotations = spec.annotations;
    rec.state.extra["rootfs"] = plan.rootfs;
    rec.state.extra["created"] = now_rfc3339();
    if (cgroup) rec.cgroup = cgroup->path;
    if (spec.hooks) {
      rec.hooks.poststart = spec.hooks->poststart;
      rec.hooks.poststop = spec.hooks->poststop;
    }
    try {
      if (scopes) {  // the init waits for maps_written: nothing runs before its limits
        std::string path = systemd_scope(*scopes, spec, id, child.pid);
        if (!path.empty()) {
          cgroup.emplace().path = path;
          rec.cgroup = path;
        }
      }
      write_agent_state(agent, spec, rec.state, child.pid);
      // Opened while the init is still dumpable (it waits for maps_written).
      unique_fd init_userns;
      if (net_beside && (plan.clone_flags & CLONE_NEWUSER))
        init_userns = open_file("/proc/" + std::to_string(child.pid) + "/ns/user", O_RDONLY);
      if (!maps.uids.empty())
        write_id_maps(child.pid, maps.uids, maps.gids, /*deny_setgroups=*/false);
      send_msg(mine.get(), SyncMsg::maps_written);
      if (net_beside) {
        unique_fd net = create_network_namespace(init_userns ? init_userns.get() : -1);
        if (!send_fd(mine.get(), net.get()))
          throw_errno("send the network namespace to the container's init");
      }
      if (plan.hook_stop) {
        expect_msg(mine.get(), SyncMsg::hook_stop, "during setup");
        run_hooks("prestart", spec.hooks->prestart, rec.state);
        run_hooks("createRuntime", spec.hooks->create_runtime, rec.state);
        if (creating_state) write_state_fd(creating_state.get(), rec.state);
        send_msg(mine.get(), SyncMsg::hooks_done);
      }
      auto ps = read_proc_stat(child.pid);
      if (!ps) throw Error("container init died during setup");
      rec.start_time = ps->start_time;
      // create: the init stops once ready and the record says so. run: the record is made and
      // the init told to go on while it still sets up, so its process starts the moment it is
      // ready; commands that change the box wait on its lock until then.
      if (mode == Mode::create) expect_msg(mine.get(), SyncMsg::ready, "during setup");
      if (mode != Mode::create && o.before_start) o.before_start(child.pid);
      rec.state.status = oci::Status::created;
      if (created_state) write_state_fd(created_state.get(), rec.state);
      store_.save(rec);
      if (!pid_file.empty()) write_pid_file(pid_file, child.pid);
      send_msg(mine.get(), mode == Mode::create ? SyncMsg::wait_start : SyncMsg::exec_now);
      if (mode != Mode::create) expect_msg(mine.get(), SyncMsg::ready, "during setup");
      if (own_console) child.pty_master = own_console->receive_master();
      if (mode != Mode::create)
        expect_msg(mine.get(), SyncMsg::error, "at exec");  // EOF: exec'd
      else
        expect_msg(mine.get(), SyncMsg::detached, "after setup");
    } catch (...) {
      ::syscall(SYS_pidfd_send_signal, child.pidfd.get(), SIGKILL, nullptr, 0);
      retry_eintr([&] { return ::waitpid(child.pid, nullptr, 0); });
      // Destroyed (runtime-spec lifecycle step 12), so step 13 follows: hooks may have set up
      // things outside (a network, say) that poststop hooks undo.
      rec.state.status = oci::Status::stopped;
      run_hooks_warning("poststop", rec.hooks.poststop, rec.state);
      throw;
    }
    if (mode != Mode::create) {
      rec.state.status = oci::Status::running;
      run_hooks_warning("poststart", rec.hooks.poststart, rec.state);
    }
  } catch (...) {
    if (cgroup) destroy_cgroup(cgroup->path);
    store_.erase(id);
    throw;
  }
  return child;
}

void Runtime::create(const std::string& id, const CreateOptions& options) {
  launch(id, options, Mode::create);
}

int Runtime::run(const std::string& id, const CreateOptions& options, bool detach, bool keep) {
  if (detach) {
    launch(id, options, Mode::run_detached);
    return 0;
  }
  int status;
  {
    ForwardedSignals signals;
    Launched c = launch(id, options, Mode::run);
    status = signals.wait_forwarding(c.pid, c.pidfd.get(), c.pty_master ? c.pty_master.get() : -1);
    if (!keep) destroy(c.record);
  }
  return status;
}

}  // namespace boxrt
