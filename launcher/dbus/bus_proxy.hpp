// A box's filtered D-Bus: one xdg-dbus-proxy per box (the session bus, the system bus or
// both), as flatpak runs it, listening in BOX_DIR/dbus/, which the box sees as
// $XDG_RUNTIME_DIR/dbus-proxy/. It lets through only the names and rules its profile's
// [dbus] table grants (profile/dbus_policy.hpp): without it a box with the session bus
// could start units through systemd --user, read the keyring or type into other apps.
// The proxy starts beside the box's setup, the app once the proxy listens; a keeper
// (keeper/box_keeper.hpp) holds the proxy's lifeline, which ends with the box or with a
// start that dies first, and the proxy with it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "host/host_facts.hpp"
#include "keeper/box_keeper.hpp"
#include "profile/profile.hpp"

namespace boxapp {

// BOX_DIR/dbus (host side) and where the box sees it.
std::string bus_dir_in(const std::string& box_dir);
std::string bus_dir_inside(const HostFacts& host);
inline constexpr const char* kSessionBusSocket = "bus";
inline constexpr const char* kSystemBusSocket = "system_bus";

// What the box gets of each bus: the session's and the system's, with the reason when it
// asks for one the host lacks (the box then runs without, with a warning).
struct BusPlan {
  bool session = false, system = false, open_session = false;
  std::vector<std::string> missing;  // "FILE: dbus.session: ..." lines to warn with
};
BusPlan plan_buses(const Profile& profile, const HostFacts& host);

// xdg-dbus-proxy's arguments after --fd: ADDRESS PATH --filter RULES... for each bus the
// plan proxies, names expanded (${APP}); what `boxapp spec` shows the user, too.
std::vector<std::string> bus_proxy_args(const Profile& profile, const HostFacts& host,
                                        const std::string& box_dir);

class BusProxy {
 public:
  // Starts the box's proxy when its plan has a bus to filter; nullopt when it has none.
  // Throws when xdg-dbus-proxy is missing: a filtered bus never falls back to the open one.
  static std::optional<BusProxy> start(const Profile& profile, const HostFacts& host,
                                       const std::string& box_dir);
  // Waits until it listens (before the app starts); throws with its reason when it ended.
  void ready();
  // Its lifeline is held until the box's process ends.
  void watch(pid_t box_pid);

 private:
  BoxKeeper keeper_;
};

}  // namespace boxapp
