// `boxapp desktop`: an app's box in the desktop's menu, as flatpak exports an app's entry and
// firejail's firecfg shadows the host's. Entries go to $XDG_DATA_HOME/applications, named
// boxapp-BOX.desktop, and carry X-Boxapp-Profile=BOX so that only boxapp's own are listed
// and removed.
#pragma once

#include <string>
#include <vector>

namespace boxapp {

struct MenuEntry {
  std::string box;       // APP, or APP@INSTANCE
  std::string name;      // what the menu shows
  std::string file;      // the entry written
  std::string replaces;  // --replace: the host entry's id it shadows ("chromium.desktop")
};

// $XDG_DATA_HOME/applications.
std::string user_applications_dir();

// The entry of a box (APP or APP@INSTANCE) as boxapp would write it: its name, its
// command (`boxapp run -d --rm BOX -- %U`: detached, so that its output goes to the box's
// log; files and URLs handed over), icon, categories and MIME types from the host app's own
// entry where there is one, else from the profile.
std::string menu_entry_text(const std::string& box);

// Writes each box's entry; with `replace`, a second one under the host entry's own id that
// hides it from the menu (refused where there is no host entry, or that file is someone
// else's). update-desktop-database runs when the host has it. The entries written.
std::vector<MenuEntry> install_menu_entries(const std::vector<std::string>& boxes, bool replace);

// The apps `desktop install --all` takes: each profile whose program the host has and that
// shows a window.
std::vector<std::string> menu_worthy_apps();

// Removes the boxes' entries (the replacing one too); throws naming a box without one.
void uninstall_menu_entries(const std::vector<std::string>& boxes);

// boxapp's entries in $XDG_DATA_HOME/applications, by box name.
std::vector<MenuEntry> list_menu_entries();

}  // namespace boxapp
