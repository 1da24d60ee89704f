// `boxapp systemd`: an app's box as a user service of systemd's, from the template
// boxapp@.service (desktop/boxapp@.service.in), as the seeds' runc@.service ran a container.
// meson installs the template; where the user manager would find none, `systemd install`
// writes it to $XDG_CONFIG_HOME/systemd/user, starting this boxapp.
#pragma once

#include <string>

namespace boxapp {

// "boxapp@BOX.service"
std::string unit_of(const std::string& box);

struct UnitInstall {
  std::string unit;           // boxapp@BOX.service
  std::string template_path;  // the template it is an instance of
  bool template_written = false;
};

// Enables boxapp@BOX.service at login (default.target wants it, as `systemctl --user
// enable` links it), the template written first where none is installed; the running user
// manager, if any, reloads; `now`: it starts the unit too, and returns once it is ready.
// Throws for a box whose profile won't load.
UnitInstall install_user_unit(const std::string& box, bool now);

// Disables it (`now`: stops it first); throws when it isn't enabled.
void uninstall_user_unit(const std::string& box, bool now);

}  // namespace boxapp
