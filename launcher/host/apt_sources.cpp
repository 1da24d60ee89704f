#include "host/apt_sources.hpp"

#include <dirent.h>

#include <algorithm>
#include <sstream>
#include <vector>

#include "util/sys.hpp"
#include "util/text.hpp"

namespace boxapp {
namespace {

using boxrt::trimmed;

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

// One-line form: "deb [arch=amd64 signed-by=...] URI SUITE COMP..." (the options may hold
// spaces inside their brackets).
std::string one_line_uri(const std::string& line) {
  std::string rest = trimmed(line);
  if (rest.rfind("deb ", 0) != 0 && rest.rfind("deb\t", 0) != 0) return "";
  rest = trimmed(rest.substr(4));
  if (!rest.empty() && rest[0] == '[') {
    const size_t close = rest.find(']');
    if (close == std::string::npos) return "";
    rest = trimmed(rest.substr(close + 1));
  }
  const auto w = words(rest);
  return w.size() >= 2 ? w[0] : "";
}

// deb822: paragraphs of "Field: value"; the first whose Types hold deb and that isn't
// Enabled: no.
std::string deb822_uri(const std::string& text) {
  std::istringstream in(text + "\n\n");
  std::string types, uris, enabled;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] == '#') continue;
    if (trimmed(line).empty()) {
      const auto t = words(types);
      if (std::find(t.begin(), t.end(), "deb") != t.end() && enabled != "no" && !uris.empty())
        return words(uris)[0];
      types.clear(), uris.clear(), enabled.clear();
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string::npos || line[0] == ' ' || line[0] == '\t') continue;
    std::string field = line.substr(0, colon);
    std::transform(field.begin(), field.end(), field.begin(), ::tolower);
    const std::string value = trimmed(line.substr(colon + 1));
    if (field == "types") types = value;
    if (field == "uris") uris = value;
    if (field == "enabled") enabled = value;
  }
  return "";
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

std::string first_deb_uri(const std::string& text, bool deb822) {
  if (deb822) return deb822_uri(text);
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (const std::string uri = one_line_uri(line); !uri.empty()) return uri;
  return "";
}

std::string host_debian_suite(const std::string& os_release) {
  std::istringstream in(boxrt::try_read_file(os_release).value_or(""));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VERSION_CODENAME=", 0) == 0) {
      std::string v = trimmed(line.substr(17));
      if (v.size() >= 2 && (v[0] == '"' || v[0] == '\'')) v = v.substr(1, v.size() - 2);
      return v;
    }
  return "";
}

std::string host_debian_mirror(const std::string& apt_dir) {
  std::vector<std::pair<std::string, bool>> files = {{apt_dir + "/sources.list", false}};
  std::vector<std::string> parts;
  if (DIR* d = ::opendir((apt_dir + "/sources.list.d").c_str())) {
    while (const dirent* e = ::readdir(d))
      parts.emplace_back(e->d_name);
    ::closedir(d);
  }
  std::sort(parts.begin(), parts.end());  // apt reads them in that order
  for (const auto& name : parts)
    if (ends_with(name, ".list") || ends_with(name, ".sources"))
      files.emplace_back(apt_dir + "/sources.list.d/" + name, ends_with(name, ".sources"));
  for (const auto& [path, deb822] : files)
    if (const std::string uri = first_deb_uri(boxrt::try_read_file(path).value_or(""), deb822);
        !uri.empty())
      return uri;
  return "";
}

}  // namespace boxapp
