// Profile + host facts → oci::Spec. One function per concern, a file each under compile/
// as the profile schema's sections are, each adding its part of the spec; none reads the
// host itself: everything it needs is in HostFacts (host/host_facts.hpp), so compiled
// specs are reproducible (golden tests inject the facts).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "host/host_facts.hpp"
#include "oci/spec.hpp"
#include "profile/profile.hpp"

namespace boxapp {

// An image's root as a box mounts it: its layers' directories, bottom first, under a
// writable layer of the box's own (upper/ and work/ in `writable`, as overlayfs wants them).
struct ImageRoot {
  std::vector<std::string> layers;
  std::string writable;
};

struct CompileOptions {
  std::string rootfs;  // root.path: the host image's root directory, or an image's mount point
  const ImageRoot* image = nullptr;              // [image] type other than host: its root
  std::optional<std::vector<std::string>> args;  // replaces app.args (boxapp APP -- ARGS)
  std::string hostname;                          // default: the app's name
  bool terminal = false;                         // give the app the caller's terminal
  // The box's own files (its Xauthority, its sound socket directory): the bundle directory.
  // Default: $XDG_RUNTIME_DIR/boxapp/bundles/APP, where `boxapp run` puts it.
  std::string box_dir;
  // display = "x11-isolated": the box's own nested X server (display/nested_display.hpp).
  std::string nested_display;
};

// The annotations a box's spec carries, which ps, inspect and later runs read back.
constexpr const char* kAppAnnotation = "org.boxapp.app";          // the profile's app name
constexpr const char* kBoxAnnotation = "org.boxapp.box";          // APP or APP@INSTANCE
constexpr const char* kProfileAnnotation = "org.boxapp.profile";  // the profile's file
constexpr const char* kHomeAnnotation = "org.boxapp.home";        // a persistent home it binds
// The D-Bus proxy's arguments (dbus/bus_proxy.hpp): what the box may reach on its buses.
constexpr const char* kDbusAnnotation = "org.boxapp.dbus-proxy";

// Throws naming the profile field when the profile asks for what this host can't give
// (a display server that isn't running, a device that isn't there).
oci::Spec compile_profile(const Profile& profile, const HostFacts& host,
                          const CompileOptions& options);

// audio.mode asks for a server the session lacks: what to say (empty when it has one). The
// box then runs without sound, or, with audio.required, compile_profile throws this.
std::string sound_missing(const Profile& profile, const HostFacts& host);
// Whether the box gets a sound socket: it asks for one, and there is a server.
bool gets_sound(const Profile& profile, const HostFacts& host);

// The box's PATH, on which app.command is looked up.
extern const char* const kBoxPath;
// Where app.command is in the host image (as the box sees it), or empty when it isn't there.
std::string find_command(const Profile& profile, const HostFacts& host);
// "FILE: app.command: `x` is not in the host image ...": what to say when it isn't.
std::string command_missing(const Profile& profile);

// ${HOME}, ${UID}, ${APP}, ${XDG_RUNTIME_DIR}, ${XDG_DATA_HOME}, ${DOWNLOADS} in a path.
std::string expand(const std::string& text, const Profile& profile, const HostFacts& host,
                   const std::string& field);

// display.mode = "x11-isolated" with what would defeat it (the host network): throws.
void check_display_isolation(const Profile& profile);

// The per-concern parts, a file each under compile/, as the profile schema's sections are.
void compile_process(const Profile& p, const HostFacts& h, const CompileOptions& o, oci::Spec& s);
void compile_filesystem(const Profile& p, const HostFacts& h, const CompileOptions& o,
                        oci::Spec& s);
void compile_display(const Profile& p, const HostFacts& h, const CompileOptions& o, oci::Spec& s);
void compile_audio(const Profile& p, const HostFacts& h, const CompileOptions& o, oci::Spec& s);
void compile_devices(const Profile& p, const HostFacts& h, oci::Spec& s);
// A bridged box's files in its box directory, bound at /etc/NAME (run/bridge.hpp writes them).
inline constexpr const char* kBoxNetworkFiles[] = {"resolv.conf", "hosts"};
void compile_network(const Profile& p, const HostFacts& h, const CompileOptions& o, oci::Spec& s);
void compile_security(const Profile& p, oci::Spec& s);
void compile_resources(const Profile& p, oci::Spec& s);
void compile_hooks(const Profile& p, oci::Spec& s);
void compile_dbus(const Profile& p, const HostFacts& h, const CompileOptions& o, oci::Spec& s);
// Whether the box's root takes boxapp's xdg-open (dbus/open_links.hpp).
bool gets_xdg_open(const HostFacts& h, const CompileOptions& o);

// [image] etc = "minimal" (compile/etc.cpp): its mounts, and the user's copy of the host's
// files with a passwd and group of the box's own, made again when they change.
void compile_minimal_etc(const Profile& p, const HostFacts& h, std::vector<oci::Mount>& mounts);
void prepare_minimal_etc(const Profile& p, const HostFacts& h);

// Creates the host image's root at `dir`: the top-level symlinks, nothing else (the
// runtime makes the mount points).
void prepare_host_rootfs(const std::string& dir, const HostFacts& host);

// The app's own directory, $XDG_DATA_HOME/boxapp/APP: its persistent home when it has one,
// and its machine-id, made once.
void prepare_app_data(const Profile& profile, const HostFacts& host);

}  // namespace boxapp
