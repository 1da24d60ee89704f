// [dbus]: the box's bus sockets, each a proxy's (dbus/bus_proxy.hpp) in a directory of the
// box's own, or, for session = "open", the session's socket itself. A box without [dbus]
// has no bus at all: nothing of the host's DBUS_SESSION_BUS_ADDRESS reaches it.
#include "compile/spec_parts.hpp"
#include "dbus/bus_proxy.hpp"
#include "dbus/open_links.hpp"

namespace boxapp {

// An image's root gets the mount point made in its writable layer; the host's only where
// xdg-utils is installed, since its /usr is read-only.
bool gets_xdg_open(const HostFacts& h, const CompileOptions& o) {
  return o.image != nullptr || h.has_xdg_open;
}

void compile_dbus(const Profile& p, const HostFacts& h, const CompileOptions& o, oci::Spec& s) {
  const BusPlan plan = plan_buses(p, h);
  if (plan.session || plan.system) {
    // The directory, not the sockets: they appear once the proxy listens, while the box is
    // set up; the app starts after that.
    const std::string inside = bus_dir_inside(h);
    s.mounts->push_back(socket_bind(bus_dir_in(box_dir(p, h, o)), inside));
    if (plan.session)
      add_env(s, "DBUS_SESSION_BUS_ADDRESS=unix:path=" + inside + "/" + kSessionBusSocket);
    if (plan.system)
      add_env(s, "DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + inside + "/" + kSystemBusSocket);
    // What the proxy lets through, for `boxapp spec` to show and a user to audit.
    std::string rules;
    for (const auto& a : bus_proxy_args(p, h, box_dir(p, h, o)))
      rules += (rules.empty() ? "" : " ") + a;
    (*s.annotations)[kDbusAnnotation] = rules;
  }
  // Links open on the host, through the portal, or the box says why they can't.
  if (gets_xdg_open(h, o)) s.mounts->push_back(bind_mount(open_links_script(h), kXdgOpen, true));
  if (plan.open_session) {
    const std::string inside = h.xdg_runtime_dir + "/bus";
    s.mounts->push_back(socket_bind(h.session_bus_path, inside));
    add_env(s, "DBUS_SESSION_BUS_ADDRESS=unix:path=" + inside);
  }
}

}  // namespace boxapp
