// Profile + host facts → oci::Spec. One function per concern (compile_*.cpp), each adding
// its part of the spec; none reads the host itself: everything it needs is in HostFacts,
// so compiled specs are reproducible (golden tests inject the facts).
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "display/xauth.hpp"
#include "oci/spec.hpp"
#include "profile/profile.hpp"
#include "util/sys.hpp"

namespace boxapp {

struct HostFacts {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user, home;
  std::string xdg_runtime_dir, xdg_data_home, downloads;
  std::optional<gid_t> audio_gid, video_gid;  // the host's groups, when the user is in them
  // Host gids /etc/subgid grants the user as they are (an admin's "alice:29:1"): the session
  // maps them, so a box can have the audio or video group itself (design.md, "gid mapping").
  std::map<std::string, gid_t> granted_groups;  // "audio" → 29
  // The display and sound servers the user's session offers.
  std::string display, xauthority, wayland_display, pulse_socket;
  // The display's cookie from the user's Xauthority, made a wildcard entry for the box's own
  // file; and the sound server's cookie file (shared only when the server won't give the
  // box a socket of its own).
  std::optional<XauthEntry> x_cookie;
  std::string pulse_cookie;
  bool has_machine_id = false;  // /etc/machine-id, which each box sees one of its own in place of
  // Top-level host directories the host image shares, and those that are symlinks
  // (merged /usr: bin -> usr/bin) to recreate in the image's root.
  std::vector<std::string> root_dirs;
  std::vector<std::pair<std::string, std::string>> root_links;
  // Devices present: /dev/dri/*, /dev/snd/*, /dev/video*, and the profile's extra paths.
  std::vector<oci::Device> gpu_devices, sound_devices, video_devices;
  std::function<std::optional<oci::Device>(const std::string&)> device_at;
  // Whether a host path is there: a shared folder's, checked as the profile is compiled.
  std::function<bool(const std::string&)> path_exists = boxrt::path_exists;
};

// Reads the facts from this host and session (environment, /etc/group, /dev, /).
HostFacts gather_host_facts();

struct CompileOptions {
  std::string rootfs;                            // root.path: the host image's root directory
  std::optional<std::vector<std::string>> args;  // replaces app.args (boxapp APP -- ARGS)
  std::string hostname;                          // default: the app's name
  bool terminal = false;                         // give the app the caller's terminal
  // The box's own files (its Xauthority, its sound socket directory): the bundle directory.
  // Default: $XDG_RUNTIME_DIR/boxapp/bundles/APP, where `boxapp run` puts it.
  std::string box_dir;
  // display = "x11-isolated": the box's own nested X server (nested_display.hpp), ":N".
  std::string nested_display;
};

// Throws naming the profile field when the profile asks for what this host can't give
// (a display server that isn't running, a device that isn't there).
oci::Spec compile_profile(const Profile& profile, const HostFacts& host,
                          const CompileOptions& options);

// ${HOME}, ${UID}, ${APP}, ${XDG_RUNTIME_DIR}, ${XDG_DATA_HOME}, ${DOWNLOADS} in a path.
std::string expand(const std::string& text, const Profile& profile, const HostFacts& host,
                   const std::string& field);

// The per-concern parts (compile_*.cpp).
void compile_process(const Profile& p, const HostFacts& h, const CompileOptions& o, oci::Spec& s);
void compile_filesystem(const Profile& p, const HostFacts& h, const CompileOptions& o,
                        oci::Spec& s);
void compile_desktop(const Profile& p, const HostFacts& h, const CompileOptions& o, oci::Spec& s);
void compile_network(const Profile& p, oci::Spec& s);
void compile_security(const Profile& p, oci::Spec& s);
void compile_resources(const Profile& p, oci::Spec& s);

// Creates the host image's root at `dir`: the top-level symlinks, nothing else (the
// runtime makes the mount points).
void prepare_host_rootfs(const std::string& dir, const HostFacts& host);

// The app's own directory, $XDG_DATA_HOME/boxapp/APP: its persistent home when it has one,
// and its machine-id, made once.
void prepare_app_data(const Profile& profile, const HostFacts& host);

}  // namespace boxapp
