// `boxapp run`: the whole flow of a start, in order: load the profile → ask for the box's
// sound socket and network namespace ahead → read the host facts → compile and prepare the
// box → run it through libboxrt in-process.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace boxapp {

struct RunRequest {
  std::string app;       // a profile's name or file
  std::string name;      // the box's; empty: the app's (run/instances.hpp)
  std::string instance;  // APP@INSTANCE's; `app` may say it too: "chrome@work"
  bool detach = false;
  bool remove_when_done = false;                 // detached: remove the box once its app ends
  std::optional<std::vector<std::string>> args;  // replace the profile's app.args
  bool terminal = false;                         // give the app the caller's terminal
  std::vector<std::string> ports;                // published, beside the profile's (run -p)
  bool publish_all = false;  // and the image's ExposedPorts, each on a free host port (run -P)
};

struct RunResult {
  int status = 0;    // the app's exit status (128+N when killed by N); 0 once it runs detached
  std::string name;  // the box's name
};

RunResult run_box(const RunRequest& request);

}  // namespace boxapp
