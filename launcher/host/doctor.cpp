#include "host/doctor.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "cgroup/cgroup.hpp"
#include "display/x11.hpp"
#include "host/box_paths.hpp"
#include "net/host_namespace.hpp"
#include "net/leases.hpp"
#include "ns/idmap.hpp"
#include "sound/pulse.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxapp {
namespace {

using Level = Finding::Level;

void add(std::vector<Finding>& out, Level level, std::string area, std::string what,
         std::string fix = "") {
  out.push_back({level, std::move(area), std::move(what), std::move(fix)});
}

bool executable(const char* path) {
  return ::access(path, X_OK) == 0;
}

std::string read_trimmed(const std::string& path) {
  auto text = boxrt::try_read_file(path);
  if (!text) return "";
  while (!text->empty() && (text->back() == '\n' || text->back() == ' '))
    text->pop_back();
  return *text;
}

std::string group_name(gid_t gid) {
  struct group* g = ::getgrgid(gid);
  return g ? g->gr_name : std::to_string(gid);
}

void check_userns(const HostFacts& h, std::vector<Finding>& out) {
  if (h.uid == 0) {
    add(out, Level::ok, "userns", "running as root: boxes need no session namespace");
    return;
  }
  if (read_trimmed("/proc/sys/kernel/unprivileged_userns_clone") == "0")
    add(out, Level::problem, "userns", "unprivileged user namespaces are switched off",
        "sudo sysctl -w kernel.unprivileged_userns_clone=1");
  if (read_trimmed("/proc/sys/user/max_user_namespaces") == "0")
    add(out, Level::problem, "userns", "user.max_user_namespaces is 0",
        "sudo sysctl -w user.max_user_namespaces=15000");
  const bool tools = executable("/usr/bin/newuidmap") && executable("/usr/bin/newgidmap");
  auto sub = boxrt::subordinate_range("/etc/subuid", h.user, h.uid);
  auto subg = boxrt::subordinate_range("/etc/subgid", h.user, h.uid);
  if (!tools)
    add(out, Level::note, "userns", "newuidmap/newgidmap are missing: boxes map only your own ids",
        "sudo apt-get install uidmap");
  else if (!sub || !subg)
    add(out, Level::note, "userns",
        "no /etc/subuid or /etc/subgid range for " + h.user + ": boxes map only your own ids",
        "sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 " + h.user);
  else
    add(out, Level::ok, "userns",
        "subordinate ids " + std::to_string(sub->outside) + "+" + std::to_string(sub->count) +
            " for " + h.user + ", mapped with newuidmap/newgidmap");
}

void check_display(const HostFacts& h, std::vector<Finding>& out) {
  if (!h.wayland_display.empty())
    add(out, Level::ok, "display", "Wayland socket " + h.wayland_display);
  if (h.display.empty()) {
    if (h.wayland_display.empty())
      add(out, Level::problem, "display", "no display: DISPLAY and WAYLAND_DISPLAY are unset",
          "run boxapp from your desktop session, or start a server (Xvfb :1) and export "
          "DISPLAY=:1");
    return;
  }
  if (h.display[0] != ':') {
    add(out, Level::problem, "display", "DISPLAY=" + h.display + " is not a local display",
        "only local displays (:N) are shared into boxes");
    return;
  }
  const std::string sock = x11_socket(*local_display_number(h.display));
  struct stat st;
  if (::stat(sock.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
    add(out, Level::problem, "display", "DISPLAY=" + h.display + " but no socket " + sock,
        "is the X server running? it must listen on its unix socket (no -nolisten unix)");
    return;
  }
  add(out, Level::ok, "display", "X11 " + h.display + " at " + sock);
  if (x11_accepts_without_cookie(sock))
    add(out, Level::note, "display",
        "the X server at " + h.display +
            " lets local clients in without a cookie: a box on the host network reaches it "
            "through its abstract socket, even with display.mode = \"x11-isolated\"",
        "give such boxes network.mode = \"none\"; or `xhost -` and drop +si:localuser "
        "entries (xhost lists them), if your session runs without them");
  if (h.x_cookie)
    add(out, Level::ok, "display",
        "cookie for " + h.display + " in " + h.xauthority + ": each box gets only that one");
  else
    add(out, Level::note, "display",
        "no cookie for " + h.display +
            (h.xauthority.empty() ? " (no Xauthority file)" : " in " + h.xauthority),
        "fine if the server asks for none; else `xauth generate " + h.display +
            " . trusted` and try again");
}

void check_sound(const HostFacts& h, std::vector<Finding>& out) {
  if (h.pulse_socket.empty()) {
    add(out, Level::problem, "sound",
        "no PulseAudio server: nothing at " +
            (h.pulse_tried.empty() ? pulse_socket_in(h.xdg_runtime_dir) : h.pulse_tried) +
            " (boxes that ask for sound run without it)",
        "start it: `systemctl --user start pulseaudio.socket` (or pipewire-pulse.socket)");
    return;
  }
  std::string why;
  auto server = PulseServer::connect(why);
  if (!server) {
    add(out, Level::problem, "sound", h.pulse_socket + ": " + why,
        "restart the sound server: `systemctl --user restart pulseaudio` (or pipewire-pulse)");
    return;
  }
  // The way each box gets a socket of its own: load one, and unload it at once.
  const std::string dir = boxes_dir(h.xdg_runtime_dir) + "/doctor-" + std::to_string(::getpid());
  ::mkdir(boxes_dir(h.xdg_runtime_dir).c_str(), 0700);
  ::mkdir(dir.c_str(), 0700);
  auto index = server->load_socket_module(dir + "/native", why);
  if (index) server->unload_module(*index);
  ::unlink((dir + "/native").c_str());
  ::rmdir(dir.c_str());
  if (index)
    add(out, Level::ok, "sound",
        "server at " + h.pulse_socket + ": each box gets a socket of its own");
  else
    add(out, Level::note, "sound",
        "server at " + h.pulse_socket + " loads no socket for a box (" + why +
            "): boxes share the session's socket and cookie",
        "PipeWire's pulse server works this way; with PulseAudio, allow module loading");
}

void check_devices(const HostFacts& h, std::vector<Finding>& out) {
  struct Kind {
    const char* name;
    const std::vector<oci::Device>& devices;
    const char* without;
  };
  const Kind kinds[] = {
      {"GPU (/dev/dri, NVIDIA)", h.gpu_devices, "apps draw in software"},
      {"sound cards (/dev/snd)", h.sound_devices, "sound goes through the sound server only"},
      {"cameras (/dev/video*)", h.video_devices, "webcam profiles have no camera"},
  };
  for (const auto& k : kinds) {
    if (k.devices.empty()) {
      add(out, Level::note, "devices", std::string("no ") + k.name + " on this host: " + k.without);
      continue;
    }
    std::string closed;
    gid_t needed = 0;
    for (const auto& d : k.devices)
      if (::access(d.path.c_str(), R_OK | W_OK) != 0) {
        struct stat st;
        if (::stat(d.path.c_str(), &st) == 0) needed = st.st_gid;
        closed += (closed.empty() ? "" : ", ") + d.path;
      }
    if (closed.empty())
      add(out, Level::ok, "devices",
          std::string(k.name) + ": " + std::to_string(k.devices.size()) + " you can open");
    else
      add(out, Level::problem, "devices", std::string(k.name) + ": you can't open " + closed,
          "sudo usermod -aG " + group_name(needed) + " " + h.user + ", then log in again");
  }
}

void check_groups(const HostFacts& h, std::vector<Finding>& out) {
  if (h.uid == 0) return;
  const bool keep = executable("/usr/bin/newgidmap") &&
                    boxrt::subordinate_range("/etc/subgid", h.user, h.uid).has_value();
  for (const char* name : {"audio", "video"}) {
    struct group* g = ::getgrnam(name);
    if (!g) continue;
    const gid_t gid = g->gr_gid;
    const bool member = (std::string(name) == "audio" ? h.audio_gid : h.video_gid).has_value();
    if (h.granted_groups.count(name)) {
      add(out, Level::ok, "groups",
          std::string(name) + ": /etc/subgid grants gid " + std::to_string(gid) +
              ", mapped into boxes as itself");
    } else if (!member) {
      add(out, Level::note, "groups", std::string("you are not in the ") + name + " group",
          std::string("only needed for devices it owns: sudo usermod -aG ") + name + " " + h.user);
    } else if (keep) {
      add(out, Level::ok, "groups",
          std::string(name) +
              ": boxes keep your supplementary groups (session mapped with "
              "newgidmap, no setgroups in the box)");
    } else {
      add(out, Level::problem, "groups",
          std::string(name) + ": boxes can't keep the group without /etc/subgid and newgidmap",
          "sudo usermod --add-subgids 100000-165535 " + h.user +
              " (or grant the group itself: --add-subgids " + std::to_string(gid) + "-" +
              std::to_string(gid) + ")");
    }
  }
}

// A delegated subtree applies only the limits whose controllers cgroup v2 has here (a
// hybrid host keeps memory and pids on v1).
void add_controllers(const boxrt::CgroupHost& host, std::vector<Finding>& out) {
  const std::string have =
      " " + read_trimmed(host.mount + host.delegated + "/cgroup.controllers") + " ";
  std::string missing;
  for (const char* c : {"memory", "pids", "cpu", "io"})
    if (have.find(std::string(" ") + c + " ") == std::string::npos)
      missing += (missing.empty() ? "" : ", ") + std::string(c);
  if (missing.empty())
    add(out, Level::ok, "cgroups",
        "cgroup v2 subtree " + host.delegated + " is yours: limits apply");
  else
    add(out, Level::note, "cgroups",
        "cgroup v2 subtree " + host.delegated + " is yours, without " + missing +
            ": those limits are not applied",
        "this host keeps them on cgroup v1; boot with systemd.unified_cgroup_hierarchy=1");
}

// What works on this machine: systemd's delegated scopes where systemd runs, else a
// subtree root hands over.
std::string delegation_fix() {
  if (boxrt::path_exists("/run/systemd/system"))
    return "run boxapp in a delegated scope: systemd-run --user --scope -p Delegate=yes boxapp ...";
  const std::string uid = std::to_string(boxrt::host_uid());
  return "this machine runs no systemd: as root, mkdir /sys/fs/cgroup/user-" + uid +
         " and chown -R " + uid +
         " it (and its cgroup.procs' parent's), then start boxapp "
         "from a shell moved into it (echo $$ > /sys/fs/cgroup/user-" +
         uid + "/cgroup.procs)";
}

void check_cgroups(std::vector<Finding>& out) {
  auto host = boxrt::find_cgroup_host();
  if (!host)
    add(out, Level::note, "cgroups", "no cgroup v2 hierarchy: profile limits are not applied",
        "boot with systemd.unified_cgroup_hierarchy=1");
  else if (host->delegated.empty())
    add(out, Level::note, "cgroups",
        "no part of the cgroup v2 tree at " + host->mount +
            " is yours: profile limits are not applied",
        delegation_fix());
  else
    add_controllers(*host, out);
}

// The bridge network's way out: its tool, and /dev/net/tun, which the tool opens as the user.
void check_upstream(const boxnet::NetworkConfig& c, std::vector<Finding>& out) {
  if (c.upstream == boxnet::Upstream::none) return;
  const std::string tool = boxnet::upstream_name(c.upstream);
  if (boxrt::find_on_path(tool).empty())
    add(out, Level::problem, "network",
        tool + " is not installed: boxes on the bridge reach each other only",
        std::string("apt-get install ") +
            (c.upstream == boxnet::Upstream::pasta ? "passt" : "slirp4netns"));
  if (::access("/dev/net/tun", R_OK | W_OK) != 0)
    add(out, Level::problem, "network",
        "/dev/net/tun is not open to you (" + std::string(strerror(errno)) + "): " + tool +
            " can't make the bridge's way out",
        "as root: chmod 0666 /dev/net/tun (udev's rule does so on a desktop)");
}

// The bridge network (netns-helper/): its holder, the boxes on it and its way out.
void check_network(std::vector<Finding>& out) {
  boxnet::NetworkConfig c;
  try {
    c = boxnet::network_config();
  } catch (const std::exception& e) {
    add(out, Level::problem, "network", e.what(),
        "fix network.toml: boxes on the bridge won't start");
    return;
  }
  const std::string bridge = std::string(boxnet::kBridge) + " " + c.subnet.str();
  check_upstream(c, out);
  if (boxrt::find_on_path("dnsmasq").empty())
    add(out, Level::problem, "network",
        "dnsmasq is not installed: boxes on the bridge reach each other by address, not by name",
        "apt-get install dnsmasq-base");
  if (!boxnet::running_host_namespace()) {
    add(out, Level::ok, "network",
        "bridge " + bridge +
            ": not up; boxapp-netns makes it for the first box with "
            "network.mode = \"bridge\"");
    return;
  }
  int held = 0;
  for (const auto& l : boxnet::list_leases())
    held += l.held() ? 1 : 0;
  add(out, Level::ok, "network",
      "bridge " + bridge + ": " + std::to_string(held) + " box" + (held == 1 ? "" : "es") +
          " on it (boxapp-netns ls)");
  const std::string state = read_trimmed(boxnet::upstream_state_file());
  if (state.starts_with("up "))
    add(out, Level::ok, "network", "the way out: " + state.substr(3));
  else if (c.upstream != boxnet::Upstream::none)
    add(out, Level::problem, "network", "the way out is " + state,
        "boxapp-netns status; the holder starts it again within a minute");
}

void check_dbus(const HostFacts& h, std::vector<Finding>& out) {
  if (h.session_bus.empty())
    add(out, Level::note, "dbus",
        "no session bus (nothing at " + h.session_bus_tried +
            "): boxes whose profile has [dbus] run without one",
        "apt-get install dbus-user-session, and log in again");
  else
    add(out, Level::ok, "dbus", "session bus at " + h.session_bus);
  if (::access("/usr/bin/xdg-dbus-proxy", X_OK) != 0)
    add(out, Level::problem, "dbus",
        "xdg-dbus-proxy is not installed: boxes whose profile filters a bus won't start",
        "apt-get install xdg-dbus-proxy");
  else
    add(out, Level::ok, "dbus", "xdg-dbus-proxy: each box with [dbus] gets a filter of its own");
  if (::access("/usr/libexec/xdg-desktop-portal", X_OK) != 0)
    add(out, Level::note, "dbus",
        "xdg-desktop-portal is not installed: the portals fragment's file chooser and links "
        "opened on the host need it",
        "apt-get install xdg-desktop-portal xdg-desktop-portal-gtk");
  else
    add(out, Level::ok, "dbus", "xdg-desktop-portal: installed (the session bus starts it)");
}

}  // namespace

std::vector<Finding> diagnose(const HostFacts& h) {
  std::vector<Finding> out;
  check_userns(h, out);
  check_display(h, out);
  check_sound(h, out);
  check_dbus(h, out);
  check_devices(h, out);
  check_groups(h, out);
  check_cgroups(out);
  check_network(out);
  return out;
}

}  // namespace boxapp
