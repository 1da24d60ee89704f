// Container state on disk: one directory per container under the runtime root, holding
// state.json (written atomically), a lock file, and the start socket while it waits for `start`
// (launch/start_socket.hpp), or a reaper's namespaces socket once started.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "oci/spec.hpp"
#include "oci/state.hpp"
#include "util/lock_file.hpp"

namespace boxrt {

struct ContainerRecord {
  oci::State state;         // as saved at create; status is recomputed by live_status
  uint64_t start_time = 0;  // of the init process: tells a recycled pid from ours
  // The hooks later commands run: poststart (by `start`) and poststop (by `delete`).
  oci::Hooks hooks;
  std::string cgroup;  // the container's cgroup directory; empty when it has none
};

class StateStore {
 public:
  explicit StateStore(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string dir_of(const std::string& id) const { return root_ + "/" + id; }
  std::string start_socket_of(const std::string& id) const { return dir_of(id) + "/start.sock"; }
  // Where a started reaper (init/reaper.cpp) hands `exec` the namespaces: the start socket,
  // renamed once it no longer waits for `start`.
  std::string namespaces_socket_of(const std::string& id) const { return dir_of(id) + "/ns.sock"; }
  // Compiled seccomp filters; '@' can't start an id, so no container is ever named so.
  std::string seccomp_cache() const { return root_ + "/@seccomp-cache"; }

  // Takes the id by creating its directory: of two concurrent claims exactly one wins.
  void claim(const std::string& id);
  // The container's lock; throws "container `id` does not exist" when it's gone.
  FileLock lock(const std::string& id) const;
  ContainerRecord load(const std::string& id) const;
  bool exists(const std::string& id) const;
  void save(const ContainerRecord& record) const;
  void erase(const std::string& id) const;
  std::vector<std::string> ids() const;

 private:
  std::string root_;
};

// created / running / stopped, from the init process and its start socket as they are now.
oci::Status live_status(const StateStore& store, const ContainerRecord& record);

// Rejects ids that could name a path outside the root.
void validate_id(const std::string& id);

// The error every command gives for an unknown id (engines look for "does not exist").
[[noreturn]] void throw_no_such_container(const std::string& id);

}  // namespace boxrt
