// Finding profiles and merging what they build on: `extends` (another profile) and
// `include` (fragments from profiles/fragments/), below the profile's own keys.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <sstream>

#include "profile/catalog.hpp"
#include "profile/profile.hpp"
#include "profile/toml.hpp"
#include "util/error.hpp"
#include "util/nearest.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"
#include "util/user_dirs.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

bool is_file(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string where(const toml::node& n, const std::string& origin) {
  return source_position(n.source(), origin);
}

// Tables merge key by key, arrays of tables ([[mounts]]) add up, and so do the lists of
// [dbus] (the notifications and portals fragments both grant names to talk to), anything
// else: `over` wins. Nodes are moved, not copied: a copy would lose its file:line:column.
void merge_into(toml::table& base, toml::table&& over, const std::string& path = "") {
  for (auto&& [k, v] : over) {
    toml::node* mine = base.get(k);
    if (mine && mine->is_table() && v.is_table()) {
      merge_into(*mine->as_table(), std::move(*v.as_table()), std::string(k.str()));
    } else if (mine && mine->is_array() && v.is_array() &&
               ((mine->is_array_of_tables() && v.is_array_of_tables()) || path == "dbus")) {
      for (auto& e : *v.as_array())
        e.visit([&](auto&& x) { mine->as_array()->push_back(std::move(x)); });
    } else {
      base.insert_or_assign(k, std::move(v));
    }
  }
}

std::string find_in_path(const std::string& relative, const std::string& skip) {
  for (const auto& dir : profile_search_path()) {
    std::string p = dir + "/" + relative;
    if (is_file(p) && p != skip) return p;
  }
  return "";
}

std::string stem(const std::string& path) {
  std::string base = boxrt::base_name(path);
  return base.ends_with(".toml") ? base.substr(0, base.size() - 5) : base;
}

toml::table load_merged(const std::string& path, std::vector<std::string>& chain) {
  if (std::find(chain.begin(), chain.end(), path) != chain.end()) {
    std::string circle;
    for (const auto& c : chain)
      circle += stem(c) + " -> ";
    throw Error(path + ": extends: a circle of profiles: " + circle + stem(path));
  }
  if (chain.size() > 16) throw Error(path + ": extends: more than 16 profiles deep");
  chain.push_back(path);
  toml::table own = parse_toml(boxrt::read_file(path), path);
  toml::table merged;
  if (const toml::node* e = own.get("extends")) {
    if (!e->is_string()) throw Error(where(*e, path) + ": extends: expected a profile name");
    const std::string name = e->as_string()->get();
    std::string base = find_in_path(name + ".toml", path);
    if (base.empty())
      throw Error(where(*e, path) + ": extends: no profile " + backquoted(name) + " to build on");
    merged = load_merged(base, chain);
  }
  if (const toml::node* inc = own.get("include")) {
    const toml::array* a = inc->as_array();
    if (!a) throw Error(where(*inc, path) + ": include: expected an array of fragment names");
    for (const auto& f : *a) {
      if (!f.is_string()) throw Error(where(f, path) + ": include: expected a fragment name");
      const std::string name = f.as_string()->get();
      std::string frag = find_in_path("fragments/" + name + ".toml", "");
      if (frag.empty())
        throw Error(where(f, path) + ": include: no fragment " + backquoted(name) +
                    " in profiles/fragments/");
      std::vector<std::string> frag_chain = chain;
      merge_into(merged, load_merged(frag, frag_chain));  // a temporary: moved from
    }
  }
  own.erase("extends");
  own.erase("include");
  chain.pop_back();
  if (merged.empty()) return own;
  merge_into(merged, std::move(own));
  return merged;
}

// A name taken from the file: the same rule as app.name.
void check_name(const Profile& p) {
  if (!valid_app_name(p.name))
    throw Error(p.file + ": the file name makes the app's name, " + backquoted(p.name) +
                ": use letters, digits, - _ and . (or set app.name)");
}

}  // namespace

std::string box_name(const Profile& p) {
  return p.instance.empty() ? p.name : p.name + "@" + p.instance;
}

std::string box_id(const std::string& name) {
  std::string id = name;
  std::replace(id.begin(), id.end(), '@', '+');
  return id;
}

std::string box_name_of_id(const std::string& id) {
  std::string name = id;
  std::replace(name.begin(), name.end(), '+', '@');
  return name;
}

std::pair<std::string, std::string> split_instance(const std::string& target) {
  const size_t at = target.rfind('@');
  if (at == std::string::npos || target.find('/') != std::string::npos) return {target, ""};
  return {target.substr(0, at), target.substr(at + 1)};
}

void set_instance(Profile& p, const std::string& instance) {
  if (!instance.empty() && !valid_app_name(instance))
    throw Error("instance " + backquoted(instance) +
                ": use letters, digits, - _ and . (not first), at most 64");
  p.instance = instance;
}

bool valid_app_name(const std::string& name) {
  bool ok = !name.empty() && name[0] != '.' && name.size() <= 64;
  for (char c : name)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
  return ok;
}

std::string user_profiles_dir() {
  return boxrt::user_config_dir() + "/boxapp/profiles";
}

std::vector<std::string> profile_search_path() {
  if (const char* p = ::getenv("BOXAPP_PROFILE_PATH"); p && *p) {
    std::vector<std::string> out;
    std::string dir;
    for (const char* c = p;; ++c) {
      if (*c == ':' || *c == '\0') {
        if (!dir.empty()) out.push_back(dir);
        dir.clear();
        if (!*c) break;
      } else {
        dir += *c;
      }
    }
    return out;
  }
  // An installed boxapp's own, found beside it (PREFIX/bin/../share/boxapp): a tree
  // installed elsewhere than its prefix (meson install --destdir, a copied prefix) works.
  std::string installed = BOXAPP_DATA_DIR "/profiles";
  const std::string beside =
      boxrt::dir_name(boxrt::own_executable()) + "/" BOXAPP_DATA_FROM_BIN "/profiles";
  char real[PATH_MAX];
  struct stat st;
  if (::realpath(beside.c_str(), real) && ::stat(real, &st) == 0 && S_ISDIR(st.st_mode))
    installed = real;
  return {user_profiles_dir(), "/etc/boxapp/profiles", installed, BOXAPP_SOURCE_DIR "/profiles"};
}

std::string find_profile(const std::string& app) {
  if (app.find('/') != std::string::npos || app.ends_with(".toml")) {
    if (!is_file(app)) throw Error("profile file " + backquoted(app) + " does not exist");
    return app;
  }
  std::string found = find_in_path(app + ".toml", "");
  if (found.empty()) {
    std::string dirs;
    for (const auto& d : profile_search_path())
      dirs += (dirs.empty() ? "" : ", ") + d;
    std::vector<std::string> names;
    for (const auto& e : list_profiles())
      names.push_back(e.name);
    const std::string near = boxrt::nearest_word(app, names);
    if (!near.empty())
      throw Error("no profile " + backquoted(app) + "; did you mean " + near + "?");
    throw Error("no profile " + backquoted(app) + " (looked in " + dirs + ")");
  }
  return found;
}

Profile load_profile(const std::string& path) {
  std::vector<std::string> chain;
  Profile p = profile_from_table(load_merged(path, chain), path);
  if (p.name.empty()) p.name = stem(path);
  check_name(p);
  return p;
}

std::string merged_profile_toml(const std::string& path) {
  std::vector<std::string> chain;
  std::ostringstream out;
  out << load_merged(path, chain) << "\n";
  return out.str();
}

Profile parse_profile(std::string_view text, const std::string& origin) {
  Profile p = profile_from_table(parse_toml(text, origin), origin);
  if (p.name.empty()) p.name = stem(origin);
  check_name(p);
  return p;
}

}  // namespace boxapp
