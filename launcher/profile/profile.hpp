// An app profile (profiles/SCHEMA.md): what one app may see and do, as parsed from TOML.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace boxapp {

enum class Display { none, x11, x11_isolated, wayland, automatic };
enum class Audio { none, pulseaudio };
enum class HomeMode { tmpfs, persist };
enum class NetworkMode { none, host, bridge };
enum class EtcMode { host, minimal };

struct MountEntry {
  std::string host, container;  // ${...} expanded at compile time
  bool read_only = true;
  bool optional = false;  // a host path that doesn't exist is skipped, not an error
};

struct HookEntry {
  std::string path;
  std::vector<std::string> args;
  int64_t timeout = 0;
};

// [dbus]: a bus the box reaches through a filtering proxy (xdg-dbus-proxy), or not at all.
enum class BusMode { none, filter, open };
struct BusPolicy {
  BusMode mode = BusMode::none;
  // Well-known names, flatpak's way ("org.mpris.MediaPlayer2.spotify", "org.example.*");
  // call and broadcast: "NAME=[METHOD][@PATH]" rules.
  std::vector<std::string> see, talk, own, call, broadcast;
};

// [image] type = "debian": a root built by mmdebstrap. Empty suite and mirror: the
// machine's own (its os-release, its first apt source), found when the image is built.
struct DebianRecipe {
  std::string suite;
  std::vector<std::string> packages;
  std::vector<std::string> components;  // empty: main
  std::string mirror;                   // a URI, or a whole "deb ..." line
};

struct Profile {
  std::string file;  // the profile's own file

  // [app]
  std::string name, description, command, workdir, icon;
  std::vector<std::string> args, categories, mime_types;
  // Before the caller's own arguments (boxapp APP -- ARGS), and only with them: a shell's
  // `-c 'exec "$@"' sh`, so that `boxapp shell -- CMD` runs CMD.
  std::vector<std::string> exec_args;
  bool init = true;  // the runtime's reaper as pid 1 (kReaperAnnotation); false: the app is
  // A second `boxapp APP` while APP's box runs: its arguments go to the app in that box.
  bool single_instance = true;
  // Under a systemd Type=notify unit: the app says READY=1 itself (sd_notify(3)), through the
  // socket the runtime gives its box; false: boxapp says it once the app has started.
  bool sd_notify = false;
  // `boxapp APP@NAME`, `run --instance NAME`: a box of its own, with its own home,
  // machine-id and hostname. Empty: the app's default box.
  std::string instance;
  // [env]
  std::map<std::string, std::string> env;
  // [image]
  std::string image = "host";  // host | oci | docker-archive | tar | dir | debian
  // What to pull, as `boxapp image pull` takes it (image/pull.hpp): "HOST/REPO:TAG",
  // "oci:DIR:TAG", "docker-archive:FILE", "tar:FILE"; for `dir`, the directory itself;
  // empty for `debian`, whose name comes from its recipe (image/debian_build.hpp).
  std::string image_name;
  DebianRecipe debian;          // type = "debian": what mmdebstrap builds
  bool image_persist = false;   // the box's writes to its root kept across runs
  bool image_readonly = false;  // a read-only root: no writable layer at all
  // From the image's config (image/image_config.hpp), not the profile's file: its User, as
  // ids (default: the user's own), and its Env, "NAME=value", under the profile's [env].
  std::optional<uint32_t> run_uid, run_gid;
  std::vector<std::string> image_env;
  std::vector<std::string> image_ports;  // its ExposedPorts, "8080/tcp": what run -P publishes
  EtcMode etc = EtcMode::host;
  std::vector<std::string> etc_files;  // etc = "minimal": more of the host's /etc, by name
  // [display], [audio]
  Display display = Display::none;
  Audio audio = Audio::none;
  bool audio_required = false;  // no sound server: an error, not a box without sound
  // [devices]
  bool gpu = false, sound = false, webcam = false;
  std::vector<std::string> device_paths;
  // [groups]: keep these host groups inside
  bool group_audio = false, group_video = false;
  // [home]
  HomeMode home = HomeMode::tmpfs;
  bool downloads = false;  // share the host's Downloads folder, read-write
  // [[mounts]]
  std::vector<MountEntry> mounts;
  // [network]
  NetworkMode network = NetworkMode::none;
  std::vector<std::string> ports;  // published: "[IP:]HOST:BOX[/udp]" (net/ports.hpp)
  bool isolate = false;            // no box↔box traffic to or from this box
  // [security]
  std::string seccomp = "default";  // default | none
  std::vector<std::string> seccomp_allow, seccomp_deny, caps_add, caps_drop;
  bool no_new_privs = true;
  bool nested_userns = false;
  // [resources]
  std::optional<int64_t> memory;  // bytes
  std::optional<double> cpus;
  std::optional<int64_t> pids;
  bool resources_required = false;
  // [dbus]: the session bus (talk, own, see, call, broadcast) and the system bus (talk only)
  BusPolicy session_bus, system_bus;
  // [hooks]: kind (runtime-spec name) → hooks
  std::map<std::string, std::vector<HookEntry>> hooks;
};

// The box's name: APP, or APP@INSTANCE.
std::string box_name(const Profile& profile);
// The runtime's id for a box: `@` is none of runc's id characters, so `+` stands for it
// (neither is allowed in app or instance names).
std::string box_id(const std::string& box_name);
std::string box_name_of_id(const std::string& id);
// "chrome@work" → {"chrome", "work"}; a name without `@` → {name, ""}.
std::pair<std::string, std::string> split_instance(const std::string& target);
// Sets profile.instance, checked as app names are.
void set_instance(Profile& profile, const std::string& instance);

// Where profiles are looked for, first match wins: $XDG_CONFIG_HOME/boxapp/profiles,
// /etc/boxapp/profiles, the installed data dir, and profiles/ of the source checkout.
std::vector<std::string> profile_search_path();
// The first of them, the user's own: $XDG_CONFIG_HOME/boxapp/profiles.
std::string user_profiles_dir();

// Finds APP.toml on the search path; throws "no profile `APP` ..." naming the places.
std::string find_profile(const std::string& app);

// Loads a profile file with its `extends` chain and `include`d fragments merged in.
// Errors name file:line:column and the field: "chrome.toml:12:9: display.mode: expected
// one of x11, wayland, auto, none, not \"x12\"".
Profile load_profile(const std::string& path);

// The merged document (extends and includes resolved) as TOML text: `profiles show`.
std::string merged_profile_toml(const std::string& path);

// The same from TOML text (`origin` stands for the file name in messages).
Profile parse_profile(std::string_view text, const std::string& origin);

}  // namespace boxapp
