// [image] etc = "minimal": the box's /etc made of what apps need, not the host's whole /etc
// (its user list, hostnames, every service's configuration). A tmpfs with the host's files
// that a desktop app reads bound read-only over it, and passwd and group written for the box
// alone: root, the user and nobody.
#include <unistd.h>

#include <algorithm>

#include "compile/compile.hpp"
#include "compile/spec_parts.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxapp {
namespace {

// What a desktop app reads of /etc: name resolution, time, fonts, certificates, the
// dynamic linker's cache, Debian's alternatives, MIME types, desktop-wide settings. Bound
// when the host has them. The profile's etc_files add to these.
constexpr const char* kMinimalEtc[] = {
    "hosts",        "resolv.conf", "nsswitch.conf", "host.conf",    "gai.conf",
    "localtime",    "timezone",    "fonts",         "ssl",          "ca-certificates",
    "alternatives", "ld.so.cache", "ld.so.conf",    "ld.so.conf.d", "mime.types",
    "os-release",   "protocols",   "services",      "xdg",          "dconf",
    "gtk-3.0",      "X11",
};

std::string etc_dir(const Profile& p, const HostFacts& h, const CompileOptions& o) {
  return box_dir(p, h, o) + "/etc";
}

}  // namespace

void compile_minimal_etc(const Profile& p, const HostFacts& h, const CompileOptions& o,
                         std::vector<oci::Mount>& m) {
  m.push_back(make_mount("/etc", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=755"}));
  std::vector<std::string> names(std::begin(kMinimalEtc), std::end(kMinimalEtc));
  names.insert(names.end(), p.etc_files.begin(), p.etc_files.end());
  for (const auto& name : names)
    if (h.path_exists("/etc/" + name))
      m.push_back(bind_mount("/etc/" + name, "/etc/" + name, true));
  const std::string dir = etc_dir(p, h, o);
  m.push_back(socket_bind(dir + "/passwd", "/etc/passwd"));
  m.push_back(socket_bind(dir + "/group", "/etc/group"));
}

void prepare_minimal_etc(const Profile& p, const HostFacts& h, const CompileOptions& o) {
  const std::string dir = etc_dir(p, h, o);
  boxrt::make_dirs(dir, 0755);
  const std::string uid = std::to_string(h.uid), gid = std::to_string(h.gid);
  // The user's group by its name where the host names it, else the user's name.
  std::string passwd = "root:x:0:0:root:/root:/bin/sh\n" + h.user + ":x:" + uid + ":" + gid +
                       "::" + h.home + ":/bin/bash\n" +
                       "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
  std::string group = "root:x:0:\n" + h.user + ":x:" + gid + ":\n";
  for (const auto& [name, g] : h.granted_groups)
    group += name + ":x:" + std::to_string(g) + ":" + h.user + "\n";
  for (const auto& [name, g] : {std::pair{"audio", h.audio_gid}, std::pair{"video", h.video_gid}})
    if (g && !h.granted_groups.count(name))
      group += std::string(name) + ":x:" + std::to_string(*g) + ":" + h.user + "\n";
  group += "nogroup:x:65534:\n";
  boxrt::write_file_atomic(dir + "/passwd", passwd, 0644, boxrt::Durability::volatile_ok);
  boxrt::write_file_atomic(dir + "/group", group, 0644, boxrt::Durability::volatile_ok);
}

}  // namespace boxapp
