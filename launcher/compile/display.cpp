// [display]: the socket of the user's display server (X11 with the box's own Xauthority,
// Wayland) or of the box's own nested X server.
#include "compile/compile.hpp"
#include "compile/spec_parts.hpp"
#include "display/x11.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

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

}  // namespace

void check_display_isolation(const Profile& p) {
  if (p.display != Display::x11_isolated) return;
  // The host's network namespace comes with every abstract unix socket on the host, the X
  // server's @/tmp/.X11-unix/XN among them: a server that lets the user's uid in without a
  // cookie (Xwayland sessions, xhost +si:localuser) would give the box the real display.
  if (p.network == NetworkMode::host)
    throw Error(p.file +
                ": display.mode: \"x11-isolated\" with network.mode = \"host\" is not isolated: "
                "the host network shares the host's abstract sockets, the X server's among them; "
                "give the box a network of its own (network.mode = \"none\")");
}

void compile_display(const Profile& p, const HostFacts& h, const CompileOptions& o, oci::Spec& s) {
  if (p.display == Display::none) return;
  if (p.display == Display::x11_isolated) {
    check_display_isolation(p);
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
  if (!h.path_exists(sock))
    throw Error("display " + h.display + ": no X server is listening (no socket " + sock +
                "); is DISPLAY right?");
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

}  // namespace boxapp
