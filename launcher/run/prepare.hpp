// A profile made ready to run: compiled against this host into a spec, with what the box
// needs on the host's side made (the host image's root, the app's data, the box's own
// directory with its Xauthority).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compile/compile.hpp"
#include "profile/profile.hpp"

namespace boxapp {

struct PreparedBox {
  Profile profile;
  HostFacts host;
  oci::Spec spec;
};

struct PrepareOptions {
  std::string rootfs;   // root.path
  std::string box_dir;  // the box's own files; empty: compile only, make nothing
  std::optional<std::vector<std::string>> args;
  bool terminal = false;
  std::string nested_display;      // x11-isolated: the box's own server, ":N"
  std::optional<ImageRoot> image;  // an image's root (image/box_image.hpp)
};

// A profile that asks for sound on a session without a server: said once, before the run.
void warn_without_sound(const Profile& profile, const HostFacts& host);
// The same for a bus the session lacks ([dbus]).
void warn_without_bus(const Profile& profile, const HostFacts& host);

PreparedBox prepare_box(Profile profile, HostFacts host, const PrepareOptions& options);

// `boxapp spec APP`: the spec as it would run here, nothing made.
oci::Spec spec_of(const std::string& app);
// `boxapp spec APP --bundle DIR`: a bundle runc or boxapp-runtime runs unchanged; its
// absolute path.
std::string write_bundle(const std::string& app, const std::string& dir);

}  // namespace boxapp
