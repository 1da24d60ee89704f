// Small text helpers the parsers of other tools' files share (apt sources, .desktop files).
#pragma once

#include <string>
#include <string_view>

namespace boxrt {

// Without leading and trailing spaces, tabs and carriage returns.
inline std::string trimmed(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, s.find_last_not_of(" \t\r") - b + 1));
}

}  // namespace boxrt
