// Display, sound and devices: the sockets of the user's display and sound servers, and the
// device nodes the app may use.
#include "compile/compile.hpp"
#include "display/x11.hpp"
#include "host/box_paths.hpp"
#include "sound/pulse.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

oci::Mount socket_bind(const std::string& host, const std::string& container) {
  oci::Mount m;
  m.destination = container;
  m.type = "bind";
  m.source = host;
  m.options = oci::StringList{"bind", "nosuid", "nodev", "noexec", "ro"};
  return m;
}

void add_env(oci::Spec& s, const std::string& kv) {
  s.process->env->push_back(kv);
}

bool use_wayland(const Profile& p, const HostFacts& h) {
  if (p.display == Display::wayland) {
    if (h.wayland_display.empty())
      throw Error(p.file +
                  ": display.mode: \"wayland\", but no Wayland compositor is running "
                  "(WAYLAND_DISPLAY is not set or its socket is missing)");
    return true;
  }
  return p.display == Display::automatic && !h.wayland_display.empty();
}

std::string box_dir(const Profile& p, const HostFacts& h, const CompileOptions& o) {
  return o.box_dir.empty() ? bundle_dir(h.xdg_runtime_dir, p.name) : o.box_dir;
}

void compile_display(const Profile& p, const HostFacts& h, const CompileOptions& o, oci::Spec& s) {
  if (p.display == Display::none) return;
  if (p.display == Display::x11_isolated) {
    if (o.nested_display.empty())
      throw Error(p.file +
                  ": display.mode: \"x11-isolated\": the box's nested X server exists only "
                  "while `boxapp run` runs it, so there is no spec or bundle of it");
    const std::string number = o.nested_display.substr(1);
    s.mounts->push_back(socket_bind(x11_socket(number), x11_socket(number)));
    add_env(s, "DISPLAY=:" + number);
    const std::string inside = h.xdg_runtime_dir + "/Xauthority";
    s.mounts->push_back(socket_bind(box_dir(p, h, o) + "/Xauthority", inside));
    add_env(s, "XAUTHORITY=" + inside);
    return;
  }
  if (use_wayland(p, h)) {
    const std::string name = boxrt::base_name(h.wayland_display);
    s.mounts->push_back(socket_bind(h.wayland_display, h.xdg_runtime_dir + "/" + name));
    add_env(s, "WAYLAND_DISPLAY=" + name);
    return;
  }
  if (h.display.empty())
    throw Error(p.file + ": display.mode: \"" +
                std::string(p.display == Display::x11 ? "x11" : "auto") +
                "\", but there is no X display to show it on (DISPLAY is not set)");
  // ":1.0" → /tmp/.X11-unix/X1; only local displays have a socket to share.
  const std::optional<std::string> local = local_display_number(h.display);
  if (!local)
    throw Error(p.file + ": display.mode: DISPLAY=" + h.display +
                " is not a local display (only :N is shared into a box)");
  const std::string& number = *local;
  const std::string sock = x11_socket(number);
  s.mounts->push_back(socket_bind(sock, sock));
  add_env(s, "DISPLAY=:" + number);
  // The box's own Xauthority with only this display's cookie (prepare_box writes it), not
  // the user's file with every cookie they have.
  if (h.x_cookie) {
    const std::string inside = h.xdg_runtime_dir + "/Xauthority";
    s.mounts->push_back(socket_bind(box_dir(p, h, o) + "/Xauthority", inside));
    add_env(s, "XAUTHORITY=" + inside);
  }
}

void compile_audio(const Profile& p, const HostFacts& h, const CompileOptions& o, oci::Spec& s) {
  if (p.audio == Audio::none) return;
  if (h.pulse_socket.empty())
    throw Error(p.file +
                ": audio.mode: \"pulseaudio\", but no PulseAudio server is running "
                "(no socket at $XDG_RUNTIME_DIR/pulse/native)");
  // A directory of the box's own: the server puts the box's socket there once the box is
  // set up (sound_socket.hpp), or, when it won't, a link to the session's socket goes there
  // with a copy of the cookie. The app starts after either.
  const std::string inside = pulse_dir_in(h.xdg_runtime_dir);
  s.mounts->push_back(socket_bind(pulse_dir_in(box_dir(p, h, o)), inside));
  add_env(s, "PULSE_SERVER=unix:" + inside + "/native");
  add_env(s, "PULSE_COOKIE=" + inside + "/cookie");
  add_env(s, "PULSE_CLIENTCONFIG=" + inside + "/client.conf");
}

// Device files keep their host groups (audio, video). The box reaches them as that group
// itself where /etc/subgid grants it (mapped as its own id, and given to the app), or else
// by keeping the user's supplementary groups (design.md, "Identity, groups and devices").
void compile_groups(const Profile& p, const HostFacts& h, oci::Spec& s) {
  std::vector<uint32_t> mapped;
  bool keep = false;
  auto want = [&](bool asked, const char* name) {
    if (!asked) return;
    if (auto g = h.granted_groups.find(name); g != h.granted_groups.end())
      mapped.push_back(g->second);
    else
      keep = true;
  };
  want(p.group_audio, "audio");
  want(p.group_video, "video");
  for (uint32_t gid : mapped)
    s.linux->gid_mappings->push_back({gid, gid, 1, {}});
  if (keep) {
    (*s.annotations)["run.oci.keep_original_groups"] = "1";
  } else if (!mapped.empty()) {
    s.process->user->additional_gids = mapped;
  }
}

void compile_devices(const Profile& p, const HostFacts& h, oci::Spec& s) {
  std::vector<oci::Device> devs;
  // gpu, sound and webcam: whichever of their nodes this host has, as flatpak's --device.
  if (p.gpu) devs.insert(devs.end(), h.gpu_devices.begin(), h.gpu_devices.end());
  if (p.sound) devs.insert(devs.end(), h.sound_devices.begin(), h.sound_devices.end());
  if (p.webcam) devs.insert(devs.end(), h.video_devices.begin(), h.video_devices.end());
  for (size_t i = 0; i < p.device_paths.size(); ++i) {
    std::optional<oci::Device> d = h.device_at ? h.device_at(p.device_paths[i]) : std::nullopt;
    if (!d)
      throw Error(p.file + ": devices.paths[" + std::to_string(i) +
                  "]: " + backquoted(p.device_paths[i]) + " is not a device on this host");
    devs.push_back(*d);
  }
  if (!devs.empty()) s.linux->devices = devs;
  compile_groups(p, h, s);
}

}  // namespace

void compile_desktop(const Profile& p, const HostFacts& h, const CompileOptions& o, oci::Spec& s) {
  compile_display(p, h, o, s);
  compile_audio(p, h, o, s);
  compile_devices(p, h, s);
}

}  // namespace boxapp
