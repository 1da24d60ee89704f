// The boxes a user has, by name: listed, stopped, and joined by a command.
#pragma once

#include <string>
#include <vector>

namespace boxapp {

struct BoxInfo {
  std::string name, app, status, created;
  int pid = 0;
};
std::vector<BoxInfo> list_boxes();

// SIGTERM, then SIGKILL to everything in it after `grace_s` seconds; returns once it has
// stopped (or has been killed).
void stop_box(const std::string& name, int grace_s);

// Runs `command` in the running box with the box's own identity and environment, on the
// caller's terminal when there is one; its exit status.
int exec_in_box(const std::string& name, const std::vector<std::string>& command);

}  // namespace boxapp
