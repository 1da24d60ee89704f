// The boxes a user has, by name: listed, stopped, and joined by a command.
#pragma once

#include <string>
#include <vector>

namespace boxapp {

struct BoxInfo {
  std::string name, app, status, created;
  std::string ip;                  // on the bridge (network mode "bridge"), or empty
  std::vector<std::string> ports;  // published: "0.0.0.0:8080->80/tcp"
  int pid = 0;
};
// The running boxes, or (all) stopped ones too.
std::vector<BoxInfo> list_boxes(bool all);
std::vector<std::string> running_boxes();

// SIGTERM to each box's pid 1 (which passes it on to the app), then SIGKILL to everything
// left in those still running after `grace_s` seconds; returns once every process of the
// boxes has exited. Stopped boxes are skipped.
void stop_boxes(const std::vector<std::string>& names, int grace_s);

// Removes stopped boxes; with `force`, running ones too, stopped first as stop_boxes does.
void remove_boxes(const std::vector<std::string>& names, bool force, int grace_s);

// What `boxapp exec` runs, as podman exec takes it.
struct ExecRequest {
  std::vector<std::string> command;
  bool tty = false;       // -t: asked for a terminal
  bool terminal = false;  // give it one (the caller's, through a pty)
  bool detach = false;
  std::vector<std::string> env;  // K=V, added to the box's
  std::string workdir, user;     // user: UID[:GID]
};
// Runs the command in the running box with the box's own identity and environment but what
// the request changes; its exit status (0 once it runs, detached).
int exec_in_box(const std::string& name, const ExecRequest& request);

}  // namespace boxapp
