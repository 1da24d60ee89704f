// Internals shared by the profile loader and parser: TOML documents before they are typed.
#pragma once

#include <string>

#include "profile/profile.hpp"
#include "util/toml_text.hpp"

namespace boxapp {

using boxrt::check_toml_text;
using boxrt::parse_toml;
using boxrt::source_position;

// An app's name names its box and folders (~/.local/share/boxapp/NAME): letters, digits,
// - _ and . (not first), at most 64.
bool valid_app_name(const std::string& name);

// The typed profile from a merged document.
Profile profile_from_table(const toml::table& root, const std::string& origin);

}  // namespace boxapp
