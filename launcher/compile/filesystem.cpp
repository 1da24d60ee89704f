// [image], [home], [[mounts]] and the usual file systems: what the box sees of the host's
// directories, its own home, and what is made on the host for it.
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "compile/compile.hpp"
#include "compile/spec_parts.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

// The image's layers as an overlay over the box's root directory, the runtime's first mount.
// userxattr: a user namespace's overlayfs keeps its own marks (opaque directories) in
// user.overlay.* attributes, which the unpacker wrote (image/unpack.cpp).
oci::Mount image_root_mount(const Profile& p, const ImageRoot& img) {
  if (img.layers.empty()) throw Error(p.file + ": image: has no layers");
  std::string lower;
  for (auto l = img.layers.rbegin(); l != img.layers.rend(); ++l) {
    // overlayfs splits its options on `,` and lowerdir on `:`.
    if (l->find_first_of(",:") != std::string::npos)
      throw Error(p.file + ": image: the layer " + backquoted(*l) + " has `,` or `:` in its path");
    lower += (lower.empty() ? "" : ":") + *l;
  }
  oci::Mount m = make_mount("/", "overlay", "overlay",
                            {"lowerdir=" + lower, "upperdir=" + img.writable + "/upper",
                             "workdir=" + img.writable + "/work", "userxattr"});
  // mount(2) takes one page of options: a long store path times many layers is more.
  size_t length = 0;
  for (const auto& opt : *m.options)
    length += opt.size() + 1;
  if (length >= 4000)
    throw Error(p.file + ": image: its " + std::to_string(img.layers.size()) +
                " layers' paths are too long for overlayfs's options (a shorter "
                "$XDG_DATA_HOME would do)");
  return m;
}

}  // namespace

void compile_filesystem(const Profile& p, const HostFacts& h, const CompileOptions& o,
                        oci::Spec& s) {
  const bool image = p.image != "host";
  if (image && !o.image) throw Error(p.file + ": image: not in the store (boxapp image pull)");
  // An image's root is written through its writable layer, then made read-only at the end
  // when it asks for that; the host image's is a bare directory of mount points.
  s.root = oci::Root{o.rootfs, image ? p.image_readonly : true, {}};
  std::vector<oci::Mount> m;
  if (image) m.push_back(image_root_mount(p, *o.image));
  std::vector<oci::Mount> usual = {
      make_mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      make_mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      make_mount("/dev/pts", "devpts", "devpts",
                 {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}),
      // No size: the kernel's default, half of memory, as the host's /dev/shm. Browsers share
      // frames through it and crash in docker's 64 MiB; a memory limit still counts it.
      make_mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777"}),
      make_mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      make_mount("/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=1777"}),
      make_mount("/run", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=755"}),
      make_mount("/var/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=1777"}),
  };
  m.insert(m.end(), usual.begin(), usual.end());
  // The host image: the system's directories, read-only.
  for (const auto& dir : image ? std::vector<std::string>{} : h.root_dirs)
    if (dir != "etc" || p.etc == EtcMode::host) m.push_back(bind_mount("/" + dir, "/" + dir, true));
  if (p.etc == EtcMode::minimal && !image) compile_minimal_etc(p, h, m);
  m.push_back(make_mount(h.xdg_runtime_dir, "tmpfs", "tmpfs",
                         {"nosuid", "nodev", "mode=700", "uid=" + std::to_string(h.uid),
                          "gid=" + std::to_string(h.gid)}));
  // Home: private to the app, kept or thrown away.
  if (p.home == HomeMode::persist)
    m.push_back(bind_mount(app_data_dir(p, h) + "/home", h.home, false));
  else
    m.push_back(make_mount(h.home, "tmpfs", "tmpfs",
                           {"nosuid", "nodev", "mode=700", "uid=" + std::to_string(h.uid),
                            "gid=" + std::to_string(h.gid)}));
  if (p.downloads) m.push_back(bind_mount(h.downloads, h.downloads, false));
  // A machine-id of the app's own (prepare_app_data): a stable id for D-Bus and PulseAudio,
  // which doesn't tell apps which machine they run on.
  if (h.has_machine_id)
    m.push_back(bind_mount(app_data_dir(p, h) + "/machine-id", "/etc/machine-id", true));
  // sysfs after the others that don't need it: the runtime makes the box's network
  // namespace while these are mounted and waits for it at the first sysfs mount. Before the
  // profile's own mounts, which may go under /sys.
  m.push_back(make_mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
  for (size_t i = 0; i < p.mounts.size(); ++i) {
    const std::string f = "mounts[" + std::to_string(i) + "]";
    const MountEntry& e = p.mounts[i];
    std::string host = expand(e.host, p, h, f + ".host");
    std::string dest = expand(e.container, p, h, f + ".container");
    if (dest.empty() || dest[0] != '/')
      throw Error(p.file + ": " + f + ".container: expected an absolute path, not " +
                  backquoted(dest));
    if (!h.path_exists(host)) {
      if (e.optional) continue;
      throw Error(p.file + ": " + f + ".host: " + backquoted(host) +
                  " does not exist (set optional = true to skip it)");
    }
    m.push_back(bind_mount(host, dest, e.read_only));
  }
  s.mounts = m;
}

void prepare_app_data(const Profile& p, const HostFacts& h) {
  const std::string dir = app_data_dir(p, h);
  boxrt::make_dirs(dir, 0700);
  if (p.home == HomeMode::persist) boxrt::make_dirs(dir + "/home", 0700);
  const std::string id = dir + "/machine-id";
  if (!h.has_machine_id || ::access(id.c_str(), F_OK) == 0) return;
  unsigned char bytes[16];
  if (::getrandom(bytes, sizeof bytes, 0) != sizeof bytes) boxrt::throw_errno("getrandom");
  char hex[34];
  for (size_t i = 0; i < sizeof bytes; ++i)
    std::snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
  hex[32] = '\n';
  boxrt::write_file_atomic(id, std::string(hex, 33), 0644, boxrt::Durability::volatile_ok);
}

void prepare_host_rootfs(const std::string& dir, const HostFacts& h) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    boxrt::throw_errno("create the image root " + backquoted(dir));
  for (const auto& [name, target] : h.root_links) {
    std::string link = dir + "/" + name;
    if (::symlink(target.c_str(), link.c_str()) != 0 && errno != EEXIST)
      boxrt::throw_errno("symlink " + backquoted(link));
  }
}

}  // namespace boxapp
