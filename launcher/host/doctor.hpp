// `boxapp doctor`: what this host and session give boxes — rootless containers, the
// display, the sound server, devices and the groups that open them — each with the fix
// when something is missing.
#pragma once

#include <string>
#include <vector>

#include "host/host_facts.hpp"

namespace boxapp {

struct Finding {
  enum class Level { ok, note, problem };
  Level level = Level::ok;
  std::string area;  // "display", "sound", "dbus", "devices", "groups", "userns", "cgroups"
  std::string what;  // what was found
  std::string fix;   // for a note or problem: what to do about it
};

std::vector<Finding> diagnose(const HostFacts& host);

}  // namespace boxapp
