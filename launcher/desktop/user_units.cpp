#include "desktop/user_units.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "desktop/desktop_file.hpp"
#include "profile/profile.hpp"
#include "unit_template.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"
#include "util/user_dirs.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

constexpr const char* kTemplate = "boxapp@.service";
constexpr const char* kWantedBy = "default.target.wants";

std::string user_unit_dir() {
  return boxrt::user_config_dir() + "/systemd/user";
}

// The user manager's unit folders (systemd.unit(5)) after the user's own config, where an
// installed template is: the system's, the user's data dir, $XDG_DATA_DIRS.
std::vector<std::string> installed_unit_dirs() {
  std::vector<std::string> dirs = {"/etc/systemd/user", boxrt::user_data_dir() + "/systemd/user"};
  for (const auto& d : boxrt::system_data_dirs())
    dirs.push_back(d + "/systemd/user");
  dirs.insert(dirs.end(), {"/usr/local/lib/systemd/user", "/usr/lib/systemd/user"});
  return dirs;
}

// An installed template, or ours written to the user's config (again: this boxapp may have
// moved since).
std::pair<std::string, bool> unit_template() {
  for (const auto& dir : installed_unit_dirs())
    if (boxrt::path_exists(dir + "/" + kTemplate)) return {dir + "/" + kTemplate, false};
  std::string text = kUnitTemplate;
  const std::string bindir = boxrt::dir_name(boxapp_program());
  for (size_t at; (at = text.find("@BINDIR@")) != std::string::npos;)
    text.replace(at, 8, bindir);
  boxrt::make_dirs(user_unit_dir(), 0755);
  const std::string path = user_unit_dir() + "/" + kTemplate;
  boxrt::write_file_atomic(path, text, 0644);
  return {path, true};
}

// The user's manager, when one runs for this session: its private socket is there.
bool manager_runs() {
  return !boxrt::find_on_path("systemctl").empty() &&
         boxrt::path_exists(boxrt::user_runtime_dir() + "/systemd/private");
}

void systemctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"systemctl", "--user"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string line;
  for (const auto& a : argv)
    line += (line.empty() ? "" : " ") + a;
  if (boxrt::run_program(argv, false) != 0) throw Error(backquoted(line) + " failed");
}

std::string wants_link(const std::string& box) {
  return user_unit_dir() + "/" + kWantedBy + "/" + unit_of(box);
}

}  // namespace

std::string unit_of(const std::string& box) {
  return "boxapp@" + box + ".service";
}

UnitInstall install_user_unit(const std::string& box, bool now) {
  const auto [app, instance] = split_instance(box);
  Profile p = load_profile(find_profile(app));
  set_instance(p, instance);
  UnitInstall u;
  u.unit = unit_of(box);
  std::tie(u.template_path, u.template_written) = unit_template();
  const std::string link = wants_link(box);
  boxrt::make_dirs(boxrt::dir_name(link), 0755);
  ::unlink(link.c_str());
  if (::symlink(u.template_path.c_str(), link.c_str()) != 0) boxrt::throw_errno("link " + link);
  if (manager_runs()) {
    systemctl({"daemon-reload"});
    if (now) systemctl({"start", u.unit});
  } else if (now) {
    throw Error(u.unit +
                " is enabled, but no systemd user manager runs for this session to "
                "start it now (it starts at the next login)");
  }
  return u;
}

void uninstall_user_unit(const std::string& box, bool now) {
  const std::string link = wants_link(box);
  struct stat st;
  if (::lstat(link.c_str(), &st) != 0)
    throw Error(unit_of(box) + " is not enabled (boxapp systemd install " + box + " enables it)");
  const bool manager = manager_runs();
  if (now && manager) systemctl({"stop", unit_of(box)});
  if (::unlink(link.c_str()) != 0 && errno != ENOENT) boxrt::throw_errno("remove " + link);
  if (manager) systemctl({"daemon-reload"});
}

}  // namespace boxapp
