// X11's conventions for a local display, in one place: which number DISPLAY names, and
// where that server's socket and lock file are.
#pragma once

#include <optional>
#include <string>

namespace boxapp {

// ":1.0" → "1"; nullopt for a display that isn't local (host:N) or isn't set.
std::optional<std::string> local_display_number(const std::string& display);
// The server's socket for display number N: /tmp/.X11-unix/XN (the box sees it there too).
std::string x11_socket(const std::string& number);
// The lock file a server holds for N: /tmp/.XN-lock.
std::string x11_lock_file(const std::string& number);
// Whether the server at this socket lets a client in that brings no cookie (xhost, or
// +si:localuser as Xwayland sessions set): the X11 connection setup, without authorization.
bool x11_accepts_without_cookie(const std::string& socket_path);

}  // namespace boxapp
