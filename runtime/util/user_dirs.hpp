// The user's runtime directory, which every per-user path of ours (the session, the
// runtime's state, boxapp's bundles) lives under: defined here once, as crun's
// get_run_directory does.
#pragma once

#include <string>
#include <vector>

namespace boxrt {

// $XDG_RUNTIME_DIR; without it, /run/user/UID where logind made it ours; else
// /tmp/boxapp-UID, created private (0700) and refused when someone else made it first:
// another user could otherwise plant a session or state files there for us to trust.
std::string user_runtime_dir();

// $XDG_STATE_HOME, $XDG_DATA_HOME and $XDG_CONFIG_HOME, or their defaults under $HOME:
// what outlives a session (logs, network leases), what is the user's (apps' homes, menu
// entries) and what the user configures.
std::string user_state_dir();
std::string user_data_dir();
std::string user_config_dir();

// $XDG_DATA_DIRS, or its default /usr/local/share and /usr/share: where the system's menu
// entries, icons and user units are, each without a trailing slash.
std::vector<std::string> system_data_dirs();

}  // namespace boxrt
