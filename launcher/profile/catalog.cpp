#include "profile/catalog.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "compile/compile.hpp"
#include "display/x11.hpp"
#include "image/pull.hpp"
#include "profile/profile.hpp"
#include "sound/pulse.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxapp {

std::vector<ProfileEntry> list_profiles() {
  std::vector<ProfileEntry> out;
  std::set<std::string> seen;
  for (const auto& dir : profile_search_path()) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) continue;
    std::vector<std::string> names;
    while (auto* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 5 && n.ends_with(".toml")) names.push_back(n.substr(0, n.size() - 5));
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      if (!seen.insert(n).second) continue;  // an earlier directory's profile wins
      ProfileEntry p{n, "", dir};
      try {
        const Profile loaded = load_profile(dir + "/" + n + ".toml");
        p.description = loaded.description;
        // An image brings its app along.
        p.installed = loaded.image != "host" || !find_command(loaded, HostFacts{}).empty();
      } catch (const boxrt::Error& e) {
        p.description = std::string("(broken: ") + e.what() + ")";
      }
      out.push_back(p);
    }
  }
  return out;
}

namespace {

ProfileCheck check_profile(const std::string& file, const HostFacts& host) {
  ProfileCheck out;
  try {
    Profile p = load_profile(file);
    CompileOptions o;
    o.rootfs = "/nonexistent";
    o.nested_display = ":99";
    for (auto& m : p.mounts)
      m.optional = true;  // a check doesn't depend on this host's folders
    // Nor on what is in the image store: the image's name must be one, its layers stand in.
    const ImageRoot stand_in{{"/nonexistent/layer"}, "/nonexistent/box"};
    if (p.image != "host") {
      if (p.image != "dir" && p.image != "debian") try {
          parse_image_name(p.image_name);
        } catch (boxrt::Error& e) {
          throw e.add_context(file + ": image");
        }
      o.image = &stand_in;
      if (p.command.empty()) p.command = "/the/image/s/entrypoint";
    }
    oci::Spec spec = compile_profile(p, host, o);
    oci::parse_spec(oci::dump_spec(spec), file + " (compiled)");
    // The image may be another at run time: a warning, not an error.
    if (p.image == "host" && find_command(p, host).empty())
      out.warnings.push_back(command_missing(p));
  } catch (const boxrt::Error& e) {
    out.error = e.what();
  }
  return out;
}

}  // namespace

std::vector<ProfileCheck> check_profiles(const std::vector<std::string>& files) {
  HostFacts host = gather_host_facts();
  with_id_layouts(host);  // boxes of images map the user's range
  host.display = ":0";
  // A check doesn't depend on this host's servers: :0 counts as listening.
  host.path_exists = [](const std::string& path) {
    return path == x11_socket("0") || boxrt::path_exists(path);
  };
  host.wayland_display = host.xdg_runtime_dir + "/wayland-0";
  host.pulse_socket = pulse_socket_in(host.xdg_runtime_dir);
  std::vector<ProfileCheck> out;
  for (const auto& f : files)
    out.push_back(check_profile(f, host));
  return out;
}

std::string user_profile_copy(const std::string& app) {
  const std::string dir = user_profiles_dir();
  const std::string mine = dir + "/" + app + ".toml";
  if (::access(mine.c_str(), F_OK) != 0) {
    std::string shipped = find_profile(app);
    boxrt::make_dirs(dir, 0755);
    boxrt::write_file_atomic(mine, boxrt::read_file(shipped), 0644);
  }
  return mine;
}

}  // namespace boxapp
