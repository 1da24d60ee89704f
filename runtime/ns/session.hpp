// The per-user session user namespace (docs/design.md, "The session user namespace"):
// one tiny pinned process per user owning a user namespace that maps the user's uid plus
// their /etc/subuid range. The runtime setns()es into it and creates each container's user
// namespace as its child, writing the child's maps itself: no setuid helper per container,
// and the network helper can plumb veths into any container because the bridge's
// namespace has the same parent.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ns/idmap.hpp"

namespace boxrt {

struct Session {
  pid_t pid = -1;
  uint64_t start_time = 0;
  // true: mapped with newuidmap/newgidmap over the subordinate ranges; false: only the
  // user's own uid/gid (uidmap missing or no /etc/subuid entry).
  bool has_subids = false;
};

// RUNTIME_DIR/boxapp: the session's directory, and boxapp's own files, under a user's
// runtime directory; session_dir() is this under user_runtime_dir() (util/user_dirs.hpp).
std::string session_dir_under(const std::string& runtime_dir);
std::string session_dir();

// The live session, started first if there is none. Safe against concurrent callers.
Session ensure_session();

// Moves the calling process into the session's user namespace, where it is root with all
// capabilities. The process must be single-threaded (setns(2) refuses otherwise).
void join_session(const Session& session);

// The uid/gid maps of the user namespace the calling process is in (its own view).
std::vector<IdRange> own_uid_map();
std::vector<IdRange> own_gid_map();

// Whether setgroups(2) is allowed in the caller's user namespace (and so in its children):
// "deny" in /proc/self/setgroups (unshare -r, or a session mapped without newgidmap) is
// inherited by every user namespace created below.
bool setgroups_allowed();

// True when the caller is in the initial user namespace (real root, or a plain user).
bool in_initial_user_namespace();

}  // namespace boxrt
