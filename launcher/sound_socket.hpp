// The box's own socket on the user's sound server, for as long as the box runs.
//
// A keeper process, forked before the box is made, connects to the server (libpulse),
// unloads the sockets of boxes that are gone (a keeper holds BOX_DIR/sound.lock while its
// box lives, so a free lock means a leftover), loads module-native-protocol-unix at
// BOX_DIR/pulse/native, reports, and then waits for the box's process to end to unload it.
// The launcher never loads libpulse, and the box is set up while the keeper talks to the
// server. When the server won't load the module (pipewire-pulse has none of that name),
// the session's own socket and cookie are shared instead.
#pragma once

#include <sys/types.h>

#include <string>

#include "compile.hpp"
#include "util/unique_fd.hpp"

namespace boxapp {

class SoundSocket {
 public:
  // Starts the keeper for the box whose directory is `box_dir`; `boxes_dir` holds all boxes'.
  static SoundSocket start(const std::string& box_dir, const std::string& boxes_dir);
  SoundSocket(SoundSocket&&) noexcept = default;
  SoundSocket& operator=(SoundSocket&&) noexcept = default;
  // Without a ready(): the keeper unloads what it loaded and goes.
  ~SoundSocket();

  // Waits for the keeper's word and leaves BOX_DIR/pulse ready to use: the box's own socket,
  // or the session's shared. Then hands the keeper the box's process to watch. Throws when
  // neither can be had.
  void ready(const HostFacts& host, pid_t box_pid);
  // After the box ended (foreground runs): waits, a few seconds at most, for the keeper to
  // have unloaded the box's socket.
  void wait_unloaded();

 private:
  SoundSocket() = default;
  std::string box_dir_;
  pid_t keeper_ = -1;
  boxrt::unique_fd report_, watch_;  // keeper → us; us → keeper
};

// BOX_DIR/pulse with a link to the session's socket and a copy of its cookie (spec --bundle,
// and a server that won't load a socket for the box). Throws naming what is missing.
void share_session_sound(const std::string& box_dir, const HostFacts& host);

}  // namespace boxapp
