// What the compiler needs to know about this host and session, read in one place
// (host_facts.cpp) and handed to it whole: tests and the fuzzer inject their own.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "display/xauth.hpp"
#include "host/identity.hpp"
#include "oci/spec.hpp"
#include "util/sys.hpp"

namespace boxapp {

// xdg-utils' opener, which boxes get boxapp's in place of (dbus/open_links.hpp).
inline constexpr const char* kXdgOpen = "/usr/bin/xdg-open";

struct HostFacts {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user, home;
  std::string xdg_runtime_dir, xdg_data_home, downloads;
  std::optional<gid_t> audio_gid, video_gid;  // the host's groups, when the user is in them
  // Host gids /etc/subgid grants the user as they are (an admin's "alice:29:1"): the session
  // maps them, so a box can have the audio or video group itself (docs/design.md, "Identity, groups
  // and devices").
  std::map<std::string, gid_t> granted_groups;  // "audio" → 29
  // The ids a box of an image maps (host/identity.hpp): the user's and their range's. Read
  // only for such a box (with_id_layouts), not on every start.
  IdLayout uid_layout, gid_layout;
  // The display and sound servers the user's session offers.
  std::string display, xauthority, wayland_display, pulse_socket;
  // The session's and the system's D-Bus: their addresses as D-Bus writes them
  // (DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus where it is), empty when there is
  // none; and the socket's path when the address is one (an abstract socket has none).
  std::string session_bus, session_bus_path, system_bus;
  std::string session_bus_tried;  // the address looked for, for saying where nothing was
  // The sound server's socket as looked for (PULSE_SERVER's, else the session's default),
  // for saying where nothing was found.
  std::string pulse_tried;
  // The display's cookie from the user's Xauthority, made a wildcard entry for the box's own
  // file; and the sound server's cookie file (shared only when the server won't give the
  // box a socket of its own).
  std::optional<XauthEntry> x_cookie;
  std::string pulse_cookie;
  bool has_xdg_open = false;  // xdg-utils' /usr/bin/xdg-open, which host-image boxes get ours over
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
// Fills uid_layout and gid_layout from /etc/subuid and /etc/subgid.
void with_id_layouts(HostFacts& host);

}  // namespace boxapp
