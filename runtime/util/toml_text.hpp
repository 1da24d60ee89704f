// Reading TOML files (profiles, network.toml) with errors that name file:line:column.
#pragma once

// toml++ 3.3 (Debian 12's) asserts on some malformed documents that its parser goes on to
// reject with an error of its own (the profile fuzzer found `[$display]`): in a build with
// assertions on, a typo would abort us instead of naming the line. Every file of ours that
// reads TOML includes toml++ through this header, so all agree on it.
#ifndef TOML_ASSERT
#define TOML_ASSERT(expr) static_assert(true)
#endif
#include <toml++/toml.h>

#include <string>
#include <string_view>

namespace boxrt {

// "file:line:column" of a place in a document (`fallback` when toml++ has no file name).
std::string source_position(const toml::source_region& src, const std::string& fallback);

// Refuses what toml++ can't be trusted with: a non-ASCII character outside strings and
// comments, as "origin:line:col: invalid TOML: ...".
void check_toml_text(std::string_view text, const std::string& origin);

// Parses TOML text; a syntax error reads "origin:line:col: invalid TOML: why".
toml::table parse_toml(std::string_view text, const std::string& origin);

}  // namespace boxrt
