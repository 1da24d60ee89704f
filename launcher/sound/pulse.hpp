// The user's sound server (PulseAudio, or PipeWire's pulse server) through libpulse: a
// native-protocol socket of the box's own, loaded as a module when the box starts and
// unloaded when it ends, so the box never holds the session's socket or cookie. libpulse
// is loaded on first use (dlopen): boxes without sound don't pay for it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boxapp {

// PulseAudio's layout under a runtime directory (the session's, a box's): DIR/pulse, whose
// native-protocol socket is DIR/pulse/native.
std::string pulse_dir_in(const std::string& dir);
std::string pulse_socket_in(const std::string& dir);

struct PulseModule {
  uint32_t index = 0;
  std::string socket;  // the socket= argument
};

class PulseServer {
 public:
  // The server the session's clients use (PULSE_SERVER, else $XDG_RUNTIME_DIR/pulse/native;
  // never autospawned). nullptr with `why` filled when libpulse or the server is missing.
  static std::unique_ptr<PulseServer> connect(std::string& why);
  ~PulseServer();
  PulseServer(const PulseServer&) = delete;
  PulseServer& operator=(const PulseServer&) = delete;

  // module-native-protocol-unix listening at `socket` (anonymous: only the box can reach
  // the socket). The module's index, or nullopt with `why` (the server refused it).
  std::optional<uint32_t> load_socket_module(const std::string& socket, std::string& why);
  bool unload_module(uint32_t index);
  // The native-protocol modules whose socket lies under `dir`.
  std::vector<PulseModule> socket_modules_under(const std::string& dir);

  struct Impl;

 private:
  explicit PulseServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace boxapp
