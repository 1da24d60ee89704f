#include "util/user_dirs.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "util/error.hpp"
#include "util/proc.hpp"

namespace boxrt {
namespace {

bool is_private_dir_of_ours(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::getuid() &&
         (st.st_mode & 077) == 0;
}

}  // namespace

std::string user_runtime_dir() {
  const char* xdg = ::getenv("XDG_RUNTIME_DIR");
  if (xdg && *xdg) return xdg;
  // The user's own uid, also where a user namespace of ours makes us another (an OCI hook
  // run by a runtime under `boxapp-netns exec` is its root, with no XDG_RUNTIME_DIR).
  const std::string uid = std::to_string(host_uid());
  const std::string logind = "/run/user/" + uid;
  if (is_private_dir_of_ours(logind)) return logind;
  const std::string tmp = "/tmp/boxapp-" + uid;
  if (::mkdir(tmp.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("create " + backquoted(tmp));
  if (!is_private_dir_of_ours(tmp))
    throw Error("XDG_RUNTIME_DIR is not set, and " + backquoted(tmp) +
                " is not a private directory of yours: set XDG_RUNTIME_DIR (a 0700 directory "
                "you own)");
  return tmp;
}

namespace {

std::string xdg_dir(const char* var, const char* under_home) {
  const char* set = ::getenv(var);
  if (set && *set) return set;
  const char* home = ::getenv("HOME");
  if (home && *home) return home + std::string(under_home);
  // No HOME (an OCI hook's environment is only what config.json gives it): the user's.
  const struct passwd* pw = ::getpwuid(host_uid());
  return std::string(pw && pw->pw_dir ? pw->pw_dir : "/") + under_home;
}

}  // namespace

std::string user_state_dir() {
  return xdg_dir("XDG_STATE_HOME", "/.local/state");
}
std::string user_data_dir() {
  return xdg_dir("XDG_DATA_HOME", "/.local/share");
}
std::vector<std::string> system_data_dirs() {
  const char* set = ::getenv("XDG_DATA_DIRS");
  const std::string dirs = set && *set ? set : "/usr/local/share:/usr/share";
  std::vector<std::string> out;
  for (size_t at = 0; at <= dirs.size();) {
    size_t end = dirs.find(':', at);
    if (end == std::string::npos) end = dirs.size();
    std::string d = dirs.substr(at, end - at);
    while (d.size() > 1 && d.ends_with("/"))
      d.pop_back();
    if (!d.empty()) out.push_back(d);
    at = end + 1;
  }
  return out;
}

std::string user_config_dir() {
  return xdg_dir("XDG_CONFIG_HOME", "/.config");
}

}  // namespace boxrt
