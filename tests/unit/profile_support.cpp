#include "profile_support.hpp"

#include <stdlib.h>

#include "util/sys.hpp"

namespace testing {

ProfilePath::ProfilePath(const std::string& dir) {
  ::setenv("BOXAPP_PROFILE_PATH", dir.c_str(), 1);
}

ProfilePath::~ProfilePath() {
  ::unsetenv("BOXAPP_PROFILE_PATH");
}

boxapp::HostFacts test_host() {
  boxapp::HostFacts h;
  h.uid = 1000;
  h.gid = 1000;
  h.user = "alice";
  h.home = "/home/alice";
  h.xdg_runtime_dir = "/run/user/1000";
  h.xdg_data_home = "/home/alice/.local/share";
  h.downloads = "/home/alice/Downloads";
  h.display = ":0";
  h.xauthority = "/home/alice/.Xauthority";
  h.x_cookie =
      boxapp::XauthEntry{boxapp::kFamilyWild, "", "0", "MIT-MAGIC-COOKIE-1", std::string(16, 'k')};
  h.pulse_cookie = "/home/alice/.config/pulse/cookie";
  h.has_machine_id = true;
  // Display :0 is listening, whatever this machine runs.
  h.path_exists = [](const std::string& path) {
    return path == "/tmp/.X11-unix/X0" || boxrt::path_exists(path);
  };
  h.pulse_socket = "/run/user/1000/pulse/native";
  h.root_dirs = {"usr", "etc", "opt"};
  h.root_links = {{"bin", "usr/bin"}, {"lib", "usr/lib"}, {"lib64", "usr/lib64"}};
  oci::Device card;
  card.type = "c";
  card.path = "/dev/dri/card0";
  card.major = 226;
  card.minor = 0;
  card.file_mode = 0660;
  card.uid = 0;
  card.gid = 44;
  h.gpu_devices = {card};
  return h;
}

}  // namespace testing
