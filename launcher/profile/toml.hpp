// Internals shared by the profile loader and parser: TOML documents before they are typed.
#pragma once

// toml++ 3.3 (Debian 12's) asserts on some malformed documents that its parser goes on to
// reject with an error of its own (the profile fuzzer found `[$display]`): in a build with
// assertions on, a typo in a profile would abort boxapp instead of naming the line. Every
// file of ours that reads TOML includes toml++ through this header, so all agree on it.
#ifndef TOML_ASSERT
#define TOML_ASSERT(expr) static_assert(true)
#endif
#include <toml++/toml.h>

#include <string>

#include "profile/profile.hpp"

namespace boxapp {

// "file:line:column" of a place in a profile (`fallback` when toml++ has no file name).
std::string source_position(const toml::source_region& src, const std::string& fallback);

// Refuses what toml++ can't be trusted with (profile/toml_text.cpp): a non-ASCII character
// outside strings and comments, as "origin:line:col: invalid TOML: ...".
void check_toml_text(std::string_view text, const std::string& origin);

// Parses TOML text; a syntax error reads "origin:line:col: invalid TOML: why".
toml::table parse_toml(std::string_view text, const std::string& origin);

// An app's name names its box and folders (~/.local/share/boxapp/NAME): letters, digits,
// - _ and . (not first), at most 64.
bool valid_app_name(const std::string& name);

// The typed profile from a merged document.
Profile profile_from_table(const toml::table& root, const std::string& origin);

}  // namespace boxapp
