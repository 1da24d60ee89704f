// The box's own socket on the user's sound server, for as long as the box runs.
//
// A per-session sound broker (`boxapp-sound`, started on first use, like the session
// process) stays connected to the server through libpulse. A box's start asks it over
// `SESSION_DIR/sound.sock` to load module-native-protocol-unix at BOX_DIR/pulse/native,
// which it does while the runtime sets the box up; once the box runs, the box's pidfd goes
// to the broker, which unloads the module when the box ends. A start that fails before
// that closes the connection, and the module goes at once. The broker collects the modules
// of an earlier broker when it starts, and goes (unloading its modules) when the session
// directory does. The launcher never loads libpulse: a start pays one local round trip.
// When the server won't load the module (PipeWire's pulse server has none of that name),
// the session's own socket and cookie are shared instead.
#pragma once

#include <sys/types.h>

#include <string>

#include "host/host_facts.hpp"
#include "util/unique_fd.hpp"

namespace boxapp {

class SoundSocket {
 public:
  // Asks the session's broker (starting it if need be) for a socket for the box whose
  // directory is `box_dir`; `session_dir` is boxapp's directory in XDG_RUNTIME_DIR.
  static SoundSocket start(const std::string& box_dir, const std::string& session_dir);
  SoundSocket(SoundSocket&&) noexcept = default;
  SoundSocket& operator=(SoundSocket&&) noexcept = default;

  // Waits for the broker's answer and leaves BOX_DIR/pulse ready to use: the box's own
  // socket, or the session's shared. Then hands the broker the box's process to watch.
  // Throws when neither can be had.
  void ready(const HostFacts& host, pid_t box_pid);

 private:
  SoundSocket() = default;
  std::string box_dir_;
  boxrt::unique_fd broker_;
};

// BOX_DIR/pulse with a link to the session's socket and a copy of its cookie (spec --bundle,
// and a server that won't load a socket for the box). Throws naming what is missing.
void share_session_sound(const std::string& box_dir, const HostFacts& host);

// The broker's loop (sound_broker.cpp). Never returns.
[[noreturn]] void sound_broker_main(const std::string& session_dir, int ready_fd);

}  // namespace boxapp
