#include "desktop/menu_entries.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>

#include "desktop/desktop_file.hpp"
#include "profile/catalog.hpp"
#include "profile/profile.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"
#include "util/user_dirs.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

constexpr const char* kProfileKey = "X-Boxapp-Profile";
constexpr const char* kReplacesKey = "X-Boxapp-Replaces";
// What the default (generic) icon is when neither the host app nor the profile has one.
constexpr const char* kFallbackIcon = "application-x-executable";

std::string own_entry_path(const std::string& box) {
  return user_applications_dir() + "/boxapp-" + box + ".desktop";
}

// "a;b;" as list values are written; empty stays empty.
std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items)
    out += i + ";";
  return out;
}

struct EntryPlan {
  std::string text;
  std::string host_id;  // the host app's own entry, or empty
};

EntryPlan plan_entry(const std::string& box) {
  const auto [app, instance] = split_instance(box);
  Profile p = load_profile(find_profile(app));
  set_instance(p, instance);  // checks the instance's name
  const auto host = host_entry_for(p.command);
  auto from_host = [&](const char* key, const std::string& fallback) {
    const std::string v = host ? host->get(key) : "";
    return v.empty() ? fallback : v;
  };
  const std::string suffix = instance.empty() ? " (boxed)" : " (boxed, " + instance + ")";
  std::string icon = from_host("Icon", p.icon);
  if (!host_has_icon(icon)) icon = host_has_icon(p.icon) ? p.icon : kFallbackIcon;
  const std::string program = boxapp_program();
  std::vector<std::pair<std::string, std::string>> keys = {
      {"Type", "Application"},
      {"Version", "1.4"},
      {"Name", from_host("Name", app) + suffix},
  };
  if (host && !host->get("GenericName").empty())
    keys.emplace_back("GenericName", host->get("GenericName"));
  if (!p.description.empty()) keys.emplace_back("Comment", p.description + ", in a box");
  // Detached: a menu has no terminal, so the box's output goes to its log (boxapp logs).
  keys.emplace_back("Exec",
                    exec_argument(program) + " run -d --rm " + exec_argument(box) + " -- %U");
  keys.emplace_back("TryExec", exec_argument(program));
  keys.emplace_back("Icon", icon);
  keys.emplace_back("Terminal", p.display == Display::none ? "true" : "false");
  const std::string categories = from_host("Categories", joined(p.categories));
  if (!categories.empty()) keys.emplace_back("Categories", categories);
  const std::string mime = from_host("MimeType", joined(p.mime_types));
  if (!mime.empty()) keys.emplace_back("MimeType", mime);
  // The window groups under its entry: the class the app's window has.
  keys.emplace_back("StartupWMClass", from_host("StartupWMClass", boxrt::base_name(p.command)));
  keys.emplace_back(kProfileKey, box);
  return {format_desktop_entry(keys), host ? host->id : ""};
}

void refresh_desktop_database(const std::string& dir) {
  if (boxrt::find_on_path("update-desktop-database").empty()) return;
  if (boxrt::run_program({"update-desktop-database", "-q", dir}, true) != 0)
    boxrt::log_warning("update-desktop-database " + dir +
                       " failed: the menu may show the "
                       "change only after the next login");
}

// Our entry for `box` (either kind); nullopt when it has none.
std::optional<MenuEntry> entry_of(const std::string& box) {
  for (auto& e : list_menu_entries())
    if (e.box == box) return e;
  return std::nullopt;
}

}  // namespace

std::string user_applications_dir() {
  return boxrt::user_data_dir() + "/applications";
}

std::string menu_entry_text(const std::string& box) {
  return plan_entry(box).text;
}

std::vector<MenuEntry> install_menu_entries(const std::vector<std::string>& boxes, bool replace) {
  // Every entry planned first: a bad name or profile writes none.
  std::vector<EntryPlan> plans;
  for (const auto& box : boxes) {
    plans.push_back(plan_entry(box));
    if (replace && plans.back().host_id.empty())
      throw Error("desktop install --replace " + box +
                  ": the host has no menu entry of its "
                  "own for it to replace (install it without --replace)");
  }
  const std::string dir = user_applications_dir();
  boxrt::make_dirs(dir, 0755);
  std::vector<MenuEntry> written;
  for (size_t i = 0; i < boxes.size(); ++i) {
    const std::string& box = boxes[i];
    MenuEntry e;
    e.box = box;
    e.file = own_entry_path(box);
    std::string text = plans[i].text;
    if (replace) {
      // Under the host entry's own id, which hides that one: the menu then starts the box.
      e.file = dir + "/" + plans[i].host_id;
      e.replaces = plans[i].host_id;
      const auto there = read_desktop_entry(e.file);
      if (there && there->get(kProfileKey).empty())
        throw Error(e.file + " is yours, not boxapp's: move it away to replace " +
                    plans[i].host_id + " with the box's entry");
      text += std::string(kReplacesKey) + "=" + e.replaces + "\n";
    }
    // One entry per box: the other kind goes.
    if (auto old = entry_of(box); old && old->file != e.file) ::unlink(old->file.c_str());
    boxrt::write_file_atomic(e.file, text, 0644);
    e.name = read_desktop_entry(e.file)->get("Name");
    written.push_back(e);
  }
  refresh_desktop_database(dir);
  return written;
}

std::vector<std::string> menu_worthy_apps() {
  std::vector<std::string> out;
  for (const auto& p : list_profiles()) {
    if (!p.installed) continue;
    try {
      if (load_profile(find_profile(p.name)).display != Display::none) out.push_back(p.name);
    } catch (const std::exception&) {
      // a broken profile: `profiles` says so
    }
  }
  return out;
}

void uninstall_menu_entries(const std::vector<std::string>& boxes) {
  std::vector<MenuEntry> found;
  for (const auto& box : boxes) {
    auto e = entry_of(box);
    if (!e) throw Error("no menu entry of " + backquoted(box) + " (boxapp desktop ls lists them)");
    found.push_back(*e);
  }
  for (const auto& e : found)
    if (::unlink(e.file.c_str()) != 0 && errno != ENOENT) boxrt::throw_errno("remove " + e.file);
  refresh_desktop_database(user_applications_dir());
}

std::vector<MenuEntry> list_menu_entries() {
  std::vector<MenuEntry> out;
  const std::string dir = user_applications_dir();
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  std::vector<std::string> names;
  while (const dirent* de = ::readdir(d))
    if (std::string(de->d_name).ends_with(".desktop")) names.emplace_back(de->d_name);
  ::closedir(d);
  for (const auto& name : names) {
    const auto e = read_desktop_entry(dir + "/" + name);
    if (!e || e->get(kProfileKey).empty()) continue;
    out.push_back({e->get(kProfileKey), e->get("Name"), e->path, e->get(kReplacesKey)});
  }
  std::sort(out.begin(), out.end(),
            [](const MenuEntry& a, const MenuEntry& b) { return a.box < b.box; });
  return out;
}

}  // namespace boxapp
