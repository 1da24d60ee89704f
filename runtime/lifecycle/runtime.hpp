// libboxrt's public face: the OCI lifecycle operations. The boxapp-runtime CLI is a thin
// front end over this; boxapp calls it in-process.
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "lifecycle/state_store.hpp"
#include "oci/spec.hpp"
#include "oci/state.hpp"

namespace boxrt {

class NetworkAhead;  // ns/spare_network.hpp

enum class RootlessMode { automatic, yes, no };
// How far a start goes: create (the init waits for `start`), run in the foreground, or run
// detached.
enum class LaunchMode { create, run, run_detached };
// Who makes the container's cgroup: we, in the tree delegated to us; the systemd manager,
// as a transient scope; or nobody.
enum class CgroupManager { cgroupfs, systemd, disabled };

struct RuntimeOptions {
  std::string root;  // empty: default_root()
  RootlessMode rootless = RootlessMode::automatic;
  CgroupManager cgroup_manager = CgroupManager::cgroupfs;
  // Limits a spec names that can't be applied fail the start (runc's rule, the CLI's), or
  // only warn (boxapp's desktop default); see require_resources_as_runc.
  bool resources_required = false;
};

struct CreateOptions {
  std::string bundle;  // empty: the current directory
  std::string config;  // empty: BUNDLE/config.json
  std::string pid_file;
  std::string console_socket;
  int preserve_fds = 0;
  bool no_pivot = false;
  bool no_new_keyring = false;
  // The spec itself, when the caller has it (boxapp): the bundle's config.json, the document
  // `exec` and other tools read, is then not read, and may be written by before_start.
  const oci::Spec* spec = nullptr;
  // Called with the init's pid while the init sets the container up (run, run -d; not
  // create): for what must be in place when its process starts, made on the side (boxapp's
  // sound socket, the bundle's config.json). The process starts once it has returned and the
  // init is ready. Throwing destroys the container.
  std::function<void(pid_t)> before_start;
  // Called with the container's new network namespace (and the init's pid) once it exists,
  // before the init goes on to its process, as a createRuntime hook would be: for plumbing
  // it (boxapp's bridge network). The descriptor is the runtime's: dup it to keep it.
  // Throwing destroys the container. Not called for a spec that makes no network namespace.
  std::function<void(int netns_fd, pid_t)> network_ready;
  // The session's spare network namespace, asked for ahead (ns/spare_network.hpp): used for a spec
  // that asks for a new one.
  NetworkAhead* network_ahead = nullptr;
  // The process's stdin, stdout and stderr, when not the caller's own (-1): a detached
  // box's log (boxapp run -d), which lets the caller's terminal or pipe go.
  std::array<int, 3> stdio = {-1, -1, -1};
  // The caller's NOTIFY_SOCKET (a systemd Type=notify unit): `container` passes a socket of
  // the container's own in and relays its READY=1 with MAINPID set to the init, as runc
  // does; `container_ready` relays READY=1 alone, the caller staying the unit's main process
  // (boxapp run in boxapp@.service); `none` gives the container none, the caller says
  // READY=1 itself (through `started`).
  enum class Notify { container, container_ready, none } notify = Notify::container;
  // Called with the init's pid once the container's process runs (run, run -d; after the
  // poststart hooks).
  std::function<void(pid_t)> started;
};

struct ExecOptions {
  oci::Process process;  // the whole process: args, env, cwd, user, capabilities, ...
  bool detach = false;
  std::string pid_file;
  std::string console_socket;
  int preserve_fds = 0;
  std::string sub_cgroup;  // an existing cgroup below the container's; empty: its own
};

// A container as `state` shows it: the saved record with the live status filled in.
using ContainerView = ContainerRecord;

class Runtime {
 public:
  explicit Runtime(RuntimeOptions options);

  // USER_RUNTIME_DIR/boxapp-runtime for a user (util/user_dirs.hpp), /run/boxapp-runtime
  // for root.
  static std::string default_root();

  void create(const std::string& id, const CreateOptions& options);
  void start(const std::string& id);
  // Foreground: waits and returns the container's exit status (128+N when killed by N),
  // forwarding signals. Detached: returns 0 once the process runs.
  int run(const std::string& id, const CreateOptions& options, bool detach, bool keep);
  ContainerView state(const std::string& id) const;
  std::vector<ContainerView> list() const;
  // Starts a process in a running container; in the foreground, waits and returns its
  // exit status (forwarding signals), detached returns 0 once it runs.
  int exec(const std::string& id, const ExecOptions& options);
  // The process `exec` runs by default: the container's own, with args replaced.
  oci::Process default_exec_process(const std::string& id) const;
  void kill(const std::string& id, int signal, bool all);
  void remove(const std::string& id, bool force);
  // Host pids of the processes in the container.
  std::vector<int> pids(const std::string& id) const;

  // Freeze and thaw every process in the container (needs its cgroup).
  void pause(const std::string& id);
  void resume(const std::string& id);
  // Changes the limits of a created or running container (needs its cgroup).
  void update(const std::string& id, const oci::Resources& resources);
  // runc's stats document (cpu, memory, pids, blkio, hugetlb), from the cgroup or /proc.
  nlohmann::json stats(const std::string& id) const;
  // Binds a host file or folder (absolute, canonical) into the running container at its own
  // path, read-only (lifecycle/share.cpp).
  void share_path(const std::string& id, const std::string& path);
  // Until the container stops: {"type":"stats"} every interval (none when interval_ms is
  // 0), {"type":"oom"} on each OOM kill (with a memory controller), {"type":"exit"} last.
  void events(const std::string& id, int interval_ms,
              const std::function<void(const nlohmann::json&)>& emit) const;

  const StateStore& store() const { return store_; }
  bool is_rootless() const { return rootless_; }

 private:
  struct Launched;
  // The steps of a start (lifecycle/create.cpp).
  Launched launch(const std::string& id, const CreateOptions& options, LaunchMode mode);
  void enter_session_once();
  // Kills what is left, removes the cgroup and the state, runs poststop hooks.
  void destroy(ContainerRecord& record);

  StateStore store_;
  bool rootless_;
  bool can_mknod_;
  bool joined_session_ = false;
  CgroupManager cgroup_manager_;
  bool resources_required_;
};

}  // namespace boxrt
