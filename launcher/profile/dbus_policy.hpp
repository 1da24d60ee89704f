// [dbus] as a profile writes it: names and rules checked as D-Bus and xdg-dbus-proxy spell
// them, so a typo is an error at its file:line:column instead of a name the proxy never
// matches and an app that quietly can't reach its service.
#pragma once

#include <string>

#include "profile/profile.hpp"
#include "util/toml_section.hpp"

namespace boxapp {

// Why `name` is no well-known bus name ("org.freedesktop.Notifications", or with
// xdg-dbus-proxy's ".*" suffix, "org.example.*"); empty when it is one.
std::string bus_name_problem(const std::string& name);

// Why `rule` is no "NAME=[METHOD][@PATH]" (METHOD "*", an interface with an optional ".*",
// or Interface.Method; PATH an object path with an optional "/*"); empty when it is one.
std::string bus_rule_problem(const std::string& rule);

// Reads the [dbus] table into the profile's session_bus and system_bus.
void read_dbus(boxrt::TomlSection& s, Profile& p);

}  // namespace boxapp
