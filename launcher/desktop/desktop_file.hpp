// .desktop files (the freedesktop Desktop Entry Specification): the host's own entries, read
// for an app's name, icon, categories and MIME types, and the entries boxapp writes (version
// 1.4, the newest Debian 12's desktop-file-validate knows; nothing of 1.5's is used).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace boxapp {

// The [Desktop Entry] group of one file: its unlocalized keys (Name, not Name[fr]).
struct DesktopEntry {
  std::string id;    // the file's name: "chromium.desktop"
  std::string path;  // where it was read
  std::map<std::string, std::string> keys;
  std::string get(const std::string& key) const;
};

// nullopt when the file can't be read or has no [Desktop Entry] group.
std::optional<DesktopEntry> read_desktop_entry(const std::string& path);

// A [Desktop Entry] group of these keys, in this order.
std::string format_desktop_entry(const std::vector<std::pair<std::string, std::string>>& keys);

// The host's menu folders: DIR/applications of each $XDG_DATA_DIRS (the system's, not the
// user's $XDG_DATA_HOME, where boxapp's own entries go).
std::vector<std::string> host_application_dirs();

// The host's own entry that starts `command` (its TryExec or its Exec's program, by base
// name), COMMAND.desktop first; never one of boxapp's (X-Boxapp-Profile), nor a Hidden one.
std::optional<DesktopEntry> host_entry_for(const std::string& command);

// The program an Exec value starts: its first word, quotes undone, any `env K=V` skipped.
std::string exec_program(const std::string& exec);

// One argument as an Exec value writes it: quoted where it holds a reserved character,
// `%` doubled (so it is no field code), and backslashes escaped as every string value's.
std::string exec_argument(const std::string& arg);

// Whether an icon of this name is in the host's icon themes or pixmaps (an absolute path:
// whether that file exists).
bool host_has_icon(const std::string& icon);

// This boxapp's own program, as menu entries and units start it: absolute, so that a
// desktop whose PATH lacks ~/.local/bin still finds it.
std::string boxapp_program();

}  // namespace boxapp
