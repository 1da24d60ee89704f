#include "util/toml_section.hpp"

#include <algorithm>
#include <sstream>

#include "util/error.hpp"
#include "util/nearest.hpp"

namespace boxrt {

const char* type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "true or false";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date or time";
  }
}

std::string shown(const toml::node& n) {
  std::ostringstream out;
  if (auto s = n.as_string())
    out << '"' << s->get() << '"';
  else if (n.is_table())
    out << "a table";
  else if (n.is_array())
    out << "an array";
  else
    n.visit([&](auto&& v) { out << v; });
  return out.str();
}

void TomlSection::fail(const toml::node& n, const std::string& key, const std::string& why) const {
  throw Error(source_position(n.source(), origin_) + ": " + field(key) + ": " + why);
}

const toml::node* TomlSection::node(const std::string& key) {
  known_.insert(key);
  return table_.get(key);
}

std::optional<std::string> TomlSection::string(const std::string& key) {
  const toml::node* n = node(key);
  if (!n) return std::nullopt;
  if (!n->is_string()) fail(*n, key, std::string("expected a string, not ") + type_name(*n));
  return n->as_string()->get();
}

std::optional<bool> TomlSection::boolean(const std::string& key) {
  const toml::node* n = node(key);
  if (!n) return std::nullopt;
  if (!n->is_boolean()) fail(*n, key, std::string("expected true or false, not ") + shown(*n));
  return n->as_boolean()->get();
}

std::optional<int64_t> TomlSection::integer(const std::string& key, int64_t min) {
  const toml::node* n = node(key);
  if (!n) return std::nullopt;
  if (!n->is_integer()) fail(*n, key, std::string("expected an integer, not ") + type_name(*n));
  int64_t v = n->as_integer()->get();
  if (v < min) fail(*n, key, "must be >= " + std::to_string(min) + ", not " + std::to_string(v));
  return v;
}

std::optional<double> TomlSection::number(const std::string& key, double min) {
  const toml::node* n = node(key);
  if (!n) return std::nullopt;
  double v;
  if (n->is_integer())
    v = static_cast<double>(n->as_integer()->get());
  else if (n->is_floating_point())
    v = n->as_floating_point()->get();
  else
    fail(*n, key, std::string("expected a number, not ") + type_name(*n));
  if (!(v > min)) fail(*n, key, "must be > " + std::to_string(static_cast<int>(min)));
  return v;
}

std::vector<std::string> TomlSection::strings(const std::string& key) {
  std::vector<std::string> out;
  const toml::node* n = node(key);
  if (!n) return out;
  const toml::array* a = n->as_array();
  if (!a) fail(*n, key, std::string("expected an array of strings, not ") + type_name(*n));
  for (size_t i = 0; i < a->size(); ++i) {
    const toml::node& e = *a->get(i);
    if (!e.is_string())
      fail(e, key + "[" + std::to_string(i) + "]",
           std::string("expected a string, not ") + type_name(e));
    out.push_back(e.as_string()->get());
  }
  return out;
}

std::optional<std::string> TomlSection::choice(const std::string& key,
                                               std::vector<std::string> choices) {
  auto v = string(key);
  if (!v || std::find(choices.begin(), choices.end(), *v) != choices.end()) return v;
  std::string list;
  for (const auto& c : choices)
    list += (list.empty() ? "" : ", ") + c;
  fail(*table_.get(key), key, "expected one of " + list + ", not \"" + *v + "\"");
}

const toml::table* TomlSection::table(const std::string& key) {
  const toml::node* n = node(key);
  if (!n) return nullptr;
  if (!n->is_table()) fail(*n, key, std::string("expected a table, not ") + type_name(*n));
  return n->as_table();
}

const toml::array* TomlSection::table_array(const std::string& key) {
  const toml::node* n = node(key);
  if (!n) return nullptr;
  if (!n->is_array_of_tables())
    fail(*n, key, std::string("expected [[") + field(key) + "]] tables, not " + type_name(*n));
  return n->as_array();
}

void TomlSection::finish() const {
  for (auto&& [k, v] : table_) {
    std::string key(k.str());
    if (known_.count(key)) continue;
    const std::string best = nearest_word(key, {known_.begin(), known_.end()});
    (void)v;  // the key's own position, not its value's
    throw Error(source_position(k.source(), origin_) + ": " + field(key) + ": unknown key" +
                (best.empty() ? "" : ", did you mean `" + field(best) + "`?"));
  }
}

}  // namespace boxrt
