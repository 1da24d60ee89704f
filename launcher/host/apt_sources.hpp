// What a Debian build takes from this machine when its profile doesn't say: the release it
// runs (os-release) and the mirror its apt fetches from, so a box builds from the archive
// the user already trusts and reaches (a local mirror, a proxy, a snapshot).
#pragma once

#include <string>

namespace boxapp {

// VERSION_CODENAME from /etc/os-release ("bookworm"); empty when it has none (not Debian).
std::string host_debian_suite(const std::string& os_release = "/etc/os-release");

// The URI of the first `deb` entry of the machine's apt sources (sources.list, then
// sources.list.d/*.list and *.sources in apt's order); empty when there is none.
std::string host_debian_mirror(const std::string& apt_dir = "/etc/apt");

// The same, from one file's text: one-line ("deb [opts] URI SUITE COMP...") or deb822.
std::string first_deb_uri(const std::string& text, bool deb822);

}  // namespace boxapp
