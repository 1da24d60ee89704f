// [audio]: a directory of the box's own where its sound socket appears (sound/sound_socket.hpp).
#include "compile/compile.hpp"
#include "compile/spec_parts.hpp"
#include "sound/pulse.hpp"
#include "util/error.hpp"

namespace boxapp {
namespace {

using boxrt::Error;

}  // namespace

std::string sound_missing(const Profile& p, const HostFacts& h) {
  if (p.audio == Audio::none || !h.pulse_socket.empty()) return "";
  return p.file +
         ": audio.mode: \"pulseaudio\", but no PulseAudio server is running (no socket at " +
         (h.pulse_tried.empty() ? "$XDG_RUNTIME_DIR/pulse/native" : h.pulse_tried) + ")";
}

bool gets_sound(const Profile& p, const HostFacts& h) {
  return p.audio != Audio::none && sound_missing(p, h).empty();
}

void compile_audio(const Profile& p, const HostFacts& h, const CompileOptions& o, oci::Spec& s) {
  if (p.audio == Audio::none) return;
  // As firejail and flatpak do: the app runs, without sound (the run says so).
  if (const std::string missing = sound_missing(p, h); !missing.empty()) {
    if (p.audio_required) throw Error(missing + " (audio.required = true)");
    return;
  }
  // A directory of the box's own: the server puts the box's socket there once the box is
  // set up (sound/sound_socket.hpp), or, when it won't, a link to the session's socket goes there
  // with a copy of the cookie. The app starts after either.
  const std::string inside = pulse_dir_in(h.xdg_runtime_dir);
  s.mounts->push_back(socket_bind(pulse_dir_in(box_dir(p, h, o)), inside));
  add_env(s, "PULSE_SERVER=unix:" + inside + "/native");
  add_env(s, "PULSE_COOKIE=" + inside + "/cookie");
  add_env(s, "PULSE_CLIENTCONFIG=" + inside + "/client.conf");
}

}  // namespace boxapp
