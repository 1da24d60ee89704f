// One TOML table read with types, remembering which keys were asked for, so that finish()
// can name any other as an unknown key at its own file:line:column, with the nearest known
// key as a suggestion. Errors read "FILE:LINE:COL: PATH.KEY: why".
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "util/toml_text.hpp"

namespace boxrt {

// "a string", "an integer", ... for "expected X, not Y".
const char* type_name(const toml::node& n);
// A value as written: "\"text\"", 5, true.
std::string shown(const toml::node& n);

class TomlSection {
 public:
  TomlSection(const toml::table& t, std::string path, const std::string& origin)
      : table_(t), path_(std::move(path)), origin_(origin) {}

  [[noreturn]] void fail(const toml::node& n, const std::string& key, const std::string& why) const;
  std::string field(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }

  std::optional<std::string> string(const std::string& key);
  std::optional<bool> boolean(const std::string& key);
  std::optional<int64_t> integer(const std::string& key, int64_t min);
  std::optional<double> number(const std::string& key, double min);
  std::vector<std::string> strings(const std::string& key);
  // One of `choices`, as a string.
  std::optional<std::string> choice(const std::string& key, std::vector<std::string> choices);
  const toml::table* table(const std::string& key);
  const toml::array* table_array(const std::string& key);
  // The node of a key read some other way (counted as known).
  const toml::node* node(const std::string& key);

  // Unknown keys are errors, with the nearest known key as a suggestion.
  void finish() const;

  const std::string& origin() const { return origin_; }

 private:
  const toml::table& table_;
  std::string path_;
  const std::string& origin_;
  std::set<std::string> known_;
};

}  // namespace boxrt
