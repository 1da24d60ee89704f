#include "desktop/desktop_file.hpp"

#include <dirent.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <sstream>

#include "util/error.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"
#include "util/text.hpp"
#include "util/user_dirs.hpp"

namespace boxapp {
namespace {

using boxrt::trimmed;

// The words of an Exec value: quoted ones unquoted (only `"` quotes, with \ escaping).
std::vector<std::string> exec_words(const std::string& exec) {
  std::vector<std::string> words;
  std::string word;
  bool quoted = false, in_word = false;
  for (size_t i = 0; i < exec.size(); ++i) {
    const char c = exec[i];
    if (quoted) {
      if (c == '\\' && i + 1 < exec.size())
        word += exec[++i];
      else if (c == '"')
        quoted = false;
      else
        word += c;
    } else if (c == '"') {
      quoted = in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(word), word.clear(), in_word = false;
    } else {
      word += c, in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

// The names in `dir` of that type (DT_DIR, DT_REG), "." and ".." aside; none when unreadable.
std::vector<std::string> entries_of(const std::string& dir, unsigned char type) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (e->d_type == type || e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) out.push_back(name);
  }
  ::closedir(d);
  return out;
}

std::vector<std::string> desktop_files(const std::string& dir) {
  std::vector<std::string> out;
  for (auto& name : entries_of(dir, DT_REG))
    if (name.size() > 8 && name.ends_with(".desktop")) out.push_back(std::move(name));
  return out;
}

}  // namespace

std::string DesktopEntry::get(const std::string& key) const {
  const auto it = keys.find(key);
  return it == keys.end() ? "" : it->second;
}

std::optional<DesktopEntry> read_desktop_entry(const std::string& path) {
  const auto text = boxrt::try_read_file(path);
  if (!text) return std::nullopt;
  DesktopEntry e;
  e.path = path;
  e.id = boxrt::base_name(path);
  std::istringstream in(*text);
  std::string line;
  bool in_group = false, seen = false;
  while (std::getline(in, line)) {
    line = trimmed(line);
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      in_group = line == "[Desktop Entry]";
      seen = seen || in_group;
      continue;
    }
    const size_t eq = line.find('=');
    if (!in_group || eq == std::string::npos) continue;
    const std::string key = trimmed(line.substr(0, eq));
    if (key.find('[') == std::string::npos) e.keys.emplace(key, trimmed(line.substr(eq + 1)));
  }
  if (!seen) return std::nullopt;
  return e;
}

std::string format_desktop_entry(const std::vector<std::pair<std::string, std::string>>& keys) {
  std::string out = "[Desktop Entry]\n";
  for (const auto& [k, v] : keys)
    out += k + "=" + v + "\n";
  return out;
}

std::vector<std::string> host_application_dirs() {
  std::vector<std::string> out;
  for (const auto& dir : boxrt::system_data_dirs())
    out.push_back(dir + "/applications");
  return out;
}

std::string exec_program(const std::string& exec) {
  const auto words = exec_words(exec);
  size_t i = 0;
  if (i < words.size() && boxrt::base_name(words[i]) == "env")
    for (++i; i < words.size() && words[i].find('=') != std::string::npos; ++i) {
    }
  return i < words.size() ? words[i] : "";
}

std::optional<DesktopEntry> host_entry_for(const std::string& command) {
  const std::string program = boxrt::base_name(command);
  auto starts_it = [&](const DesktopEntry& e) {
    if (e.keys.count("X-Boxapp-Profile") || e.get("Hidden") == "true") return false;
    return boxrt::base_name(e.get("TryExec")) == program ||
           boxrt::base_name(exec_program(e.get("Exec"))) == program;
  };
  std::optional<DesktopEntry> any;
  for (const auto& dir : host_application_dirs()) {
    if (auto e = read_desktop_entry(dir + "/" + program + ".desktop"); e && starts_it(*e)) return e;
    if (any) continue;
    for (const auto& name : desktop_files(dir))
      if (auto e = read_desktop_entry(dir + "/" + name); e && starts_it(*e)) {
        any = std::move(e);
        break;
      }
  }
  return any;
}

std::string exec_argument(const std::string& arg) {
  static const std::string reserved = " \t\n\"'\\><~|&;$*?#()`";
  std::string out;
  const bool quote = arg.empty() || arg.find_first_of(reserved) != std::string::npos;
  for (char c : arg) {
    if (c == '%')
      out += "%%";
    else if (quote && (c == '"' || c == '`' || c == '$' || c == '\\'))
      out += std::string("\\") + c;
    else
      out += c;
  }
  if (quote) out = "\"" + out + "\"";
  // Then the string value's own escape: a backslash is written as two.
  std::string escaped;
  for (char c : out)
    escaped += c == '\\' ? std::string("\\\\") : std::string(1, c);
  return escaped;
}

bool host_has_icon(const std::string& icon) {
  if (icon.empty()) return false;
  if (icon[0] == '/') return boxrt::path_exists(icon);
  std::vector<std::string> roots;
  for (const auto& dir : boxrt::system_data_dirs()) {
    roots.push_back(dir + "/icons");
    roots.push_back(dir + "/pixmaps");
  }
  auto has = [&](const std::string& dir) {
    for (const char* ext : {".png", ".svg", ".xpm"})
      if (boxrt::path_exists(dir + "/" + icon + ext)) return true;
    return false;
  };
  // Any theme, any size: ROOT/NAME.EXT and ROOT/THEME/SIZE/CONTEXT/NAME.EXT.
  for (const auto& root : roots) {
    if (has(root)) return true;
    for (const auto& theme : entries_of(root, DT_DIR))
      for (const auto& size : entries_of(root + "/" + theme, DT_DIR))
        for (const auto& context : entries_of(root + "/" + theme + "/" + size, DT_DIR))
          if (has(root + "/" + theme + "/" + size + "/" + context)) return true;
  }
  return false;
}

std::string boxapp_program() {
  return boxrt::own_executable();
}

}  // namespace boxapp
