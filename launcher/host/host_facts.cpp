#include "host/host_facts.hpp"

#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <span>

#include "display/x11.hpp"
#include "ns/idmap.hpp"
#include "sound/pulse.hpp"
#include "util/sys.hpp"
#include "util/user_dirs.hpp"

namespace boxapp {

namespace {

std::string env(const char* name, const std::string& fallback = "") {
  const char* v = ::getenv(name);
  return v && *v ? v : fallback;
}

std::optional<oci::Device> device_node(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
    return std::nullopt;
  oci::Device d;
  d.path = path;
  d.type = S_ISCHR(st.st_mode) ? "c" : "b";
  d.major = major(st.st_rdev);
  d.minor = minor(st.st_rdev);
  d.file_mode = st.st_mode & 07777;
  d.uid = st.st_uid;
  d.gid = st.st_gid;
  return d;
}

// Device nodes under dir whose names start with one of prefixes ("" for all), sorted, in
// one list per prefix: a single pass over the directory.
std::vector<std::vector<oci::Device>> devices_in(const std::string& dir,
                                                 const std::vector<std::string>& prefixes) {
  std::vector<std::vector<oci::Device>> out(prefixes.size());
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    for (size_t i = 0; i < prefixes.size(); ++i) {
      if (n.rfind(prefixes[i], 0) != 0) continue;
      if (auto dev = device_node(dir + "/" + n)) out[i].push_back(*dev);
      break;
    }
  }
  ::closedir(d);
  for (auto& list : out)
    std::sort(list.begin(), list.end(), [](auto& a, auto& b) { return a.path < b.path; });
  return out;
}

// The host's audio and video groups: which the user is in, and which /etc/subgid grants.
void find_device_groups(HostFacts& h) {
  gid_t groups[256];
  const int n = ::getgroups(256, groups);
  const std::span<const gid_t> mine(groups, static_cast<size_t>(std::max(n, 0)));
  const auto granted = boxrt::subordinate_ranges("/etc/subgid", h.user, h.uid);
  for (auto [name, member] : {std::pair{"audio", &h.audio_gid}, {"video", &h.video_gid}}) {
    struct group* g = ::getgrnam(name);
    if (!g) continue;
    const gid_t gid = g->gr_gid;
    if (std::ranges::find(mine, gid) != mine.end()) *member = gid;
    for (const auto& r : granted)
      if (gid >= r.outside && gid - r.outside < r.count) h.granted_groups[name] = gid;
  }
}

// XDG_DOWNLOAD_DIR from user-dirs.dirs ("$HOME/Downloads"), or ~/Downloads.
std::string downloads_dir(const std::string& home, const std::string& config) {
  const std::string text = boxrt::try_read_file(config + "/user-dirs.dirs").value_or("");
  const std::string key = "XDG_DOWNLOAD_DIR=\"";
  if (size_t at = text.find(key); at != std::string::npos) {
    size_t end = text.find('"', at + key.size());
    std::string v = text.substr(at + key.size(), end - at - key.size());
    if (v.rfind("$HOME", 0) == 0) v = home + v.substr(5);
    if (!v.empty()) return v;
  }
  return home + "/Downloads";
}

// The cookie of local display ":N[.S]" as a wildcard entry, from the user's Xauthority.
std::optional<XauthEntry> display_cookie(const std::string& display, const std::string& file) {
  std::optional<std::string> number = local_display_number(display);
  if (!number || file.empty()) return std::nullopt;
  std::optional<std::string> text = boxrt::try_read_file(file);
  if (!text) return std::nullopt;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  auto e = find_display_cookie(*text, *number, host);
  if (!e) return std::nullopt;
  e->family = kFamilyWild;
  e->address.clear();
  return e;
}

// The path of a "unix:path=P[,guid=...]" address (the first of several, `;`-separated).
std::string unix_path_of(const std::string& address) {
  const size_t at = address.find("unix:path=");
  if (at == std::string::npos || (at > 0 && address[at - 1] != ';')) return "";
  const std::string rest = address.substr(at + 10);
  return rest.substr(0, rest.find_first_of(",;"));
}

void find_buses(HostFacts& h, const std::string& session, const std::string& system) {
  h.session_bus = session.empty() ? "unix:path=" + h.xdg_runtime_dir + "/bus" : session;
  h.session_bus_tried = h.session_bus;
  h.session_bus_path = unix_path_of(h.session_bus);
  if (!h.session_bus_path.empty() && !boxrt::path_exists(h.session_bus_path))
    h.session_bus.clear(), h.session_bus_path.clear();
  const char* const kSystem = "/run/dbus/system_bus_socket";
  if (!system.empty())
    h.system_bus = system;
  else if (boxrt::path_exists(kSystem))
    h.system_bus = std::string("unix:path=") + kSystem;
}

}  // namespace

void with_id_layouts(HostFacts& h) {
  std::tie(h.uid_layout, h.gid_layout) = id_layouts(h.uid, h.gid, h.user);
}

HostFacts gather_host_facts() {
  HostFacts h;
  h.uid = ::getuid();
  h.gid = ::getgid();
  h.user = env("USER");
  h.home = env("HOME");
  if (h.user.empty() || h.home.empty()) {  // the password database only when we must
    struct passwd* pw = ::getpwuid(h.uid);
    if (h.user.empty()) h.user = pw ? pw->pw_name : std::to_string(h.uid);
    if (h.home.empty()) h.home = pw ? pw->pw_dir : "/";
  }
  h.xdg_runtime_dir = boxrt::user_runtime_dir();
  h.xdg_data_home = env("XDG_DATA_HOME", h.home + "/.local/share");
  h.downloads = downloads_dir(h.home, env("XDG_CONFIG_HOME", h.home + "/.config"));
  find_device_groups(h);

  h.display = env("DISPLAY");
  std::string xauth = env("XAUTHORITY", h.home + "/.Xauthority");
  if (boxrt::path_exists(xauth)) h.xauthority = xauth;
  h.x_cookie = display_cookie(h.display, h.xauthority);
  h.has_machine_id = boxrt::path_exists("/etc/machine-id");
  h.has_xdg_open = boxrt::path_exists(kXdgOpen);
  if (std::string w = env("WAYLAND_DISPLAY"); !w.empty()) {
    std::string sock = w[0] == '/' ? w : h.xdg_runtime_dir + "/" + w;
    if (boxrt::path_exists(sock)) h.wayland_display = sock;
  }
  find_buses(h, env("DBUS_SESSION_BUS_ADDRESS"), env("DBUS_SYSTEM_BUS_ADDRESS"));
  std::string pulse = env("PULSE_SERVER");
  if (pulse.rfind("unix:", 0) == 0) pulse = pulse.substr(5);
  if (pulse.empty() || pulse[0] != '/') pulse = pulse_socket_in(h.xdg_runtime_dir);
  h.pulse_tried = pulse;
  if (boxrt::path_exists(pulse)) h.pulse_socket = pulse;
  for (const std::string& c :
       {env("PULSE_COOKIE"), env("XDG_CONFIG_HOME", h.home + "/.config") + "/pulse/cookie",
        h.home + "/.pulse-cookie"})
    if (!c.empty() && boxrt::path_exists(c)) {
      h.pulse_cookie = c;
      break;
    }

  for (const char* name : {"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "opt"}) {
    const std::string path = std::string("/") + name;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
      if (n > 0) h.root_links.emplace_back(name, std::string(target, static_cast<size_t>(n)));
    } else if (S_ISDIR(st.st_mode)) {
      h.root_dirs.push_back(name);
    }
  }
  h.gpu_devices = std::move(devices_in("/dev/dri", {""})[0]);
  // NVIDIA's driver keeps its nodes at the top of /dev: nvidia0..N, nvidiactl, nvidia-uvm,
  // nvidia-uvm-tools, nvidia-modeset.
  auto top = devices_in("/dev", {"nvidia", "video"});
  h.gpu_devices.insert(h.gpu_devices.end(), top[0].begin(), top[0].end());
  h.sound_devices = std::move(devices_in("/dev/snd", {""})[0]);
  h.video_devices = std::move(top[1]);
  h.device_at = device_node;
  return h;
}

}  // namespace boxapp
