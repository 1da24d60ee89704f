// The profiles a user can run: listed from the search path, checked, and copied to their
// own config for editing.
#pragma once

#include <string>
#include <vector>

namespace boxapp {

struct ProfileEntry {
  std::string name, description, dir;  // description: "(broken: why)" when it won't load
  bool installed = false;              // its command is in the host image
};
// One entry per name, an earlier directory's profile hiding a later one's, sorted by name
// within each directory.
std::vector<ProfileEntry> list_profiles();

// Parses, compiles and validates each profile file against a host that has everything
// (display, sound, devices), so that only the profile itself can fail: for each file, the
// error's message (empty when it is fine), and warnings of what this host's image lacks.
struct ProfileCheck {
  std::string error;
  std::vector<std::string> warnings;
};
std::vector<ProfileCheck> check_profiles(const std::vector<std::string>& files);

// $XDG_CONFIG_HOME/boxapp/profiles/APP.toml, copied from the profile the search path finds
// when the user has none of their own yet.
std::string user_profile_copy(const std::string& app);

}  // namespace boxapp
