#!/bin/sh
# boxapp's xdg-open, bound over the box's own: a link opens on the host, in the user's own
# browser, through the desktop portal's OpenURI, which the box reaches over its filtered
# session bus when its profile includes "portals". The box's own xdg-open would instead
# start a browser inside the box, or fail without saying why.
fail() {
  echo "xdg-open: $*" >&2
  exit 3
}
[ $# -eq 1 ] || { echo "usage: xdg-open { file | URL }" >&2; exit 1; }
case $1 in
  file:* | /* | ./* | ../*) fail "$1: boxes open links on the host, not files (the portal's OpenFile needs a file descriptor gdbus can't pass)" ;;
  *:*) ;;
  *) fail "$1: boxes open links on the host, not files (the portal's OpenFile needs a file descriptor gdbus can't pass)" ;;
esac
hint='its profile needs [dbus] session = "filter" and include = ["portals"]'
[ -n "$DBUS_SESSION_BUS_ADDRESS" ] || fail "this box has no session bus to reach the desktop portal: $hint"
command -v gdbus >/dev/null 2>&1 ||
  fail "opening links on the host needs gdbus in the box (libglib2.0-bin in its image)"
if said=$(gdbus call --session --dest org.freedesktop.portal.Desktop \
  --object-path /org/freedesktop/portal/desktop \
  --method org.freedesktop.portal.OpenURI.OpenURI "" "$1" "{}" 2>&1); then
  exit 0
fi
case $said in
  *ServiceUnknown* | *AccessDenied* | *"not allowed"* | *NameHasNoOwner*)
    fail "the box's session bus doesn't reach the desktop portal: $hint, and xdg-desktop-portal must be installed on the host" ;;
  *) fail "the desktop portal could not open $1: $said" ;;
esac
