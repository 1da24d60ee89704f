// Internals shared by the profile loader and parser: TOML documents before they are typed.
#pragma once

#include <toml++/toml.h>

#include <string>

#include "profile.hpp"

namespace boxapp {

// Parses TOML text; a syntax error reads "origin:line:col: invalid TOML: why".
toml::table parse_toml(std::string_view text, const std::string& origin);

// The typed profile from a merged document.
Profile profile_from_table(const toml::table& root, const std::string& origin);

}  // namespace boxapp
