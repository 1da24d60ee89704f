// --systemd-cgroup: the container's cgroup as a transient scope of the systemd manager (the
// user's, or the system's for root), asked for over D-Bus with libsystemd.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>

#include "util/unique_fd.hpp"

namespace boxrt {

// Starts the scope NAME.scope (in SLICE when not empty) holding `pid`, delegated to us, and
// returns its cgroup directory once the process is in it. Throws with the reason (no bus, no
// manager, refused) when it can't.
std::string start_systemd_scope(const std::string& name, const std::string& slice, pid_t pid,
                                bool user_manager);

// Asks for scopes from a process forked before the runtime joins the session user
// namespace: inside it our uid reads 0, and the bus refuses a client whose claimed uid is
// not its real one. One request per object.
class ScopeRequester {
 public:
  explicit ScopeRequester(bool user_manager);
  ~ScopeRequester();
  ScopeRequester(const ScopeRequester&) = delete;
  ScopeRequester& operator=(const ScopeRequester&) = delete;
  // start_systemd_scope, done by the helper.
  std::string start(const std::string& name, const std::string& slice, pid_t pid);

 private:
  pid_t helper_ = -1;
  unique_fd fd_;
};

// linux.cgroupsPath in systemd's "slice:prefix:name" form → (slice, unit name without
// .scope); a path without colons, or none, gives ("", "boxapp-ID").
std::pair<std::string, std::string> systemd_unit_of(const std::string& cgroups_path,
                                                    const std::string& id);

}  // namespace boxrt
