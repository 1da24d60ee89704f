// What a TOML text must be before toml++ reads it, and reading it.
//
// TOML allows non-ASCII characters only inside strings and comments. Debian 12's toml++
// (3.3) checks a character elsewhere against Unicode's whitespace with a table that
// reaches __builtin_unreachable() for most code points (é, ¡, U+FEEF: the profile fuzzer
// found it): undefined behaviour on a typo. Such a character is refused here first, with
// its line and column, as toml++ would refuse it.
#include <algorithm>
#include <cstring>
#include <string>

#include "util/toml_text.hpp"

#include "util/error.hpp"

namespace boxrt {
namespace {

enum class In { code, comment, basic, literal, multi_basic, multi_literal };

// How many times `c` repeats at `i`.
size_t run_of(std::string_view text, size_t i, char c) {
  size_t n = 0;
  while (i + n < text.size() && text[i + n] == c)
    ++n;
  return n;
}

// How many quotes at `i` end a string opened with `quote` (0: it goes on). A multi-line
// string's closing three may follow up to two quotes of its own.
size_t closing_quotes(std::string_view text, size_t i, char quote, bool multi_line) {
  if (text[i] != quote) return 0;
  if (!multi_line) return 1;
  const size_t n = run_of(text, i, quote);
  return n >= 3 ? std::min<size_t>(n, 5) : 0;
}

[[noreturn]] void refuse(std::string_view text, size_t i, size_t line, size_t column,
                         const std::string& origin) {
  size_t len = 1;
  while (i + len < text.size() && (static_cast<unsigned char>(text[i + len]) & 0xC0) == 0x80)
    ++len;
  throw Error(origin + ":" + std::to_string(line) + ":" + std::to_string(column) +
                     ": invalid TOML: `" + std::string(text.substr(i, len)) +
                     "` may only be in a string or a comment");
}

}  // namespace

void check_toml_text(std::string_view text, const std::string& origin) {
  In in = In::code;
  bool trimming = false;  // past a line-ending backslash in a string
  size_t line = 1, column = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) ++column;  // a character starts here (not a UTF-8 continuation)
    if (c == '\n') {
      ++line;
      column = 0;
      // Comments and one-line strings end with their line (an unclosed string is toml++'s
      // to report).
      if (in == In::comment || in == In::basic || in == In::literal) in = In::code;
      continue;
    }
    switch (in) {
      case In::code:
        if (c >= 0x80) refuse(text, i, line, column, origin);
        if (c == '#') in = In::comment;
        if (c == '"' || c == '\'') {
          const size_t n = run_of(text, i, static_cast<char>(c));
          if (n >= 3) {
            in = c == '"' ? In::multi_basic : In::multi_literal;
            i += 2;
            column += 2;
          } else if (n == 2) {  // an empty string
            ++i;
            ++column;
          } else {
            in = c == '"' ? In::basic : In::literal;
          }
        }
        break;
      case In::basic:
      case In::multi_basic:
        // After a line-ending backslash toml++ skips whitespace with the same table: the
        // first character past it must be ASCII too.
        if (trimming && (c == ' ' || c == '\t' || c == '\r')) break;
        if (trimming && c >= 0x80) refuse(text, i, line, column, origin);
        trimming = false;
        if (c == '\\' && i + 1 < text.size() && std::strchr(" \t\r\n", text[i + 1])) {
          trimming = true;
        } else if (c == '\\' && i + 1 < text.size()) {
          ++i;  // the escaped character, never the string's end
          if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;
        } else if (size_t n = closing_quotes(text, i, '"', in == In::multi_basic)) {
          i += n - 1;
          column += n - 1;
          in = In::code;
        }
        break;
      case In::literal:
      case In::multi_literal:
        if (size_t n = closing_quotes(text, i, '\'', in == In::multi_literal)) {
          i += n - 1;
          column += n - 1;
          in = In::code;
        }
        break;
      case In::comment:
        break;
    }
  }
}

std::string source_position(const toml::source_region& src, const std::string& fallback) {
  return (src.path ? *src.path : fallback) + ":" + std::to_string(src.begin.line) + ":" +
         std::to_string(src.begin.column);
}

toml::table parse_toml(std::string_view text, const std::string& origin) {
  check_toml_text(text, origin);
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw Error(source_position(e.source(), origin) +
                ": invalid TOML: " + std::string(e.description()));
  }
}

}  // namespace boxrt
