#include "profile/dbus_policy.hpp"

#include <cctype>

namespace boxapp {
namespace {

bool element_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// Dot-separated elements of [A-Za-z0-9_-], none empty or starting with a digit: the
// D-Bus specification's rule for bus names and (without '-') interfaces.
std::string dotted_problem(const std::string& text, size_t min_elements, bool dash) {
  if (text.empty()) return "is empty";
  if (text.size() > 255) return "is longer than 255 characters";
  size_t elements = 0;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('.', start);
    if (end == std::string::npos) end = text.size();
    const std::string e = text.substr(start, end - start);
    if (e.empty()) return "has an empty element";
    if (std::isdigit(static_cast<unsigned char>(e[0])))
      return "has an element starting with a digit";
    for (char c : e)
      if (!element_char(c) || (!dash && c == '-'))
        return std::string("has `") + c + "`, which names can't hold";
    ++elements;
    start = end + 1;
  }
  if (elements < min_elements) return "needs at least two elements (org.example)";
  return "";
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// What is wrong with an object path ("/org/example", "/org/example/*"), said after "has ".
std::string path_problem(std::string path) {
  if (path.empty() || path[0] != '/') return "a PATH that doesn't start with /";
  if (path == "/" || path == "/*") return "";
  if (ends_with(path, "/*")) path.resize(path.size() - 2);
  for (size_t start = 1; start <= path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end == start) return "a PATH with an empty element";
    for (size_t i = start; i < end; ++i)
      if (!std::isalnum(static_cast<unsigned char>(path[i])) && path[i] != '_')
        return std::string("a PATH with `") + path[i] + "`, which object paths can't hold";
    start = end + 1;
  }
  return "";
}

void check_all(boxrt::TomlSection& s, const std::string& key, const std::vector<std::string>& list,
               std::string (*problem)(const std::string&)) {
  const toml::node* n = s.node(key);
  for (size_t i = 0; i < list.size(); ++i)
    if (const std::string why = problem(list[i]); !why.empty())
      s.fail(*n->as_array()->get(i), key + "[" + std::to_string(i) + "]",
             "\"" + list[i] + "\" " + why);
}

// ${APP} and the other variables expand when the box starts (compile/compile.hpp): here each
// stands for one element's worth of name.
std::string without_variables(std::string text) {
  for (size_t at; (at = text.find("${")) != std::string::npos;) {
    const size_t end = text.find('}', at);
    if (end == std::string::npos) break;
    text.replace(at, end - at + 1, "x");
  }
  return text;
}

std::string name_problem(const std::string& name) {
  if (name.size() > 2 && ends_with(name, ".*"))
    return dotted_problem(name.substr(0, name.size() - 2), 1, true);
  if (name.find('*') != std::string::npos) return "has a `*` that isn't a final `.*`";
  return dotted_problem(name, 2, true);
}

}  // namespace

std::string bus_name_problem(const std::string& text) {
  return name_problem(without_variables(text));
}

std::string bus_rule_problem(const std::string& text) {
  const std::string rule = without_variables(text);
  const size_t eq = rule.find('=');
  if (eq == std::string::npos) return "is no NAME=RULE (NAME=[METHOD][@PATH])";
  if (const std::string why = bus_name_problem(rule.substr(0, eq)); !why.empty())
    return "names a bus name that " + why;
  const std::string r = rule.substr(eq + 1);
  const size_t at = r.find('@');
  const std::string method = r.substr(0, at);
  if (at == std::string::npos && method.empty()) return "has an empty RULE";
  if (!method.empty() && method != "*") {
    const std::string m = ends_with(method, ".*") ? method.substr(0, method.size() - 2) : method;
    if (const std::string why = dotted_problem(m, 2, false); !why.empty())
      return "has a METHOD that " + why;
  }
  if (at != std::string::npos)
    if (const std::string why = path_problem(r.substr(at + 1)); !why.empty()) return "has " + why;
  return "";
}

void read_dbus(boxrt::TomlSection& s, Profile& p) {
  const toml::table* t = s.table("dbus");
  if (!t) return;
  boxrt::TomlSection d(*t, "dbus", s.origin());
  const auto session = d.choice("session", {"none", "filter", "open"}).value_or("none");
  BusPolicy& b = p.session_bus;
  b.mode = session == "filter" ? BusMode::filter
           : session == "open" ? BusMode::open
                               : BusMode::none;
  for (auto [key, list] : {std::pair{"see", &b.see},
                           {"talk", &b.talk},
                           {"own", &b.own},
                           {"call", &b.call},
                           {"broadcast", &b.broadcast}}) {
    *list = d.strings(key);
    const bool rules = std::string(key) == "call" || std::string(key) == "broadcast";
    check_all(d, key, *list, rules ? bus_rule_problem : bus_name_problem);
    if (!list->empty() && b.mode != BusMode::filter)
      d.fail(*t->get(key), key, "only with session = \"filter\" (what the proxy lets through)");
  }
  const auto system = d.choice("system", {"none", "filter"}).value_or("none");
  p.system_bus.mode = system == "filter" ? BusMode::filter : BusMode::none;
  p.system_bus.talk = d.strings("system_talk");
  check_all(d, "system_talk", p.system_bus.talk, bus_name_problem);
  if (!p.system_bus.talk.empty() && p.system_bus.mode != BusMode::filter)
    d.fail(*t->get("system_talk"), "system_talk", "only with system = \"filter\"");
  d.finish();
}

}  // namespace boxapp
