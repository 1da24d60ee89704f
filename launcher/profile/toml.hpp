// Internals shared by the profile loader and parser: TOML documents before they are typed.
#pragma once

#include <toml++/toml.h>

#include <string>

#include "profile/profile.hpp"

namespace boxapp {

// "file:line:column" of a place in a profile (`fallback` when toml++ has no file name).
std::string source_position(const toml::source_region& src, const std::string& fallback);

// Parses TOML text; a syntax error reads "origin:line:col: invalid TOML: why".
toml::table parse_toml(std::string_view text, const std::string& origin);

// An app's name names its box and folders (~/.local/share/boxapp/NAME): letters, digits,
// - _ and . (not first), at most 64.
bool valid_app_name(const std::string& name);

// The typed profile from a merged document.
Profile profile_from_table(const toml::table& root, const std::string& origin);

}  // namespace boxapp
