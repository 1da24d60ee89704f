// The process, the file system (host image, home, shared folders, mounts) and the network
// part of a compiled profile.
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "compile/compile.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

oci::Mount mount(std::string destination, std::string type, std::string source,
                 oci::StringList options) {
  oci::Mount m;
  m.destination = std::move(destination);
  m.type = std::move(type);
  m.source = std::move(source);
  m.options = std::move(options);
  return m;
}

// $XDG_DATA_HOME/boxapp/APP: what of the app's own outlives its box.
std::string app_data_dir(const Profile& p, const HostFacts& h) {
  return h.xdg_data_home + "/boxapp/" + p.name;
}

oci::Mount bind_mount(const std::string& host, const std::string& container, bool read_only) {
  oci::StringList opts = {"rbind", "nosuid", "nodev"};
  opts.push_back(read_only ? "ro" : "rw");
  return mount(container, "bind", host, opts);
}

}  // namespace

std::string expand(const std::string& text, const Profile& p, const HostFacts& h,
                   const std::string& field) {
  const std::pair<const char*, std::string> vars[] = {{"HOME", h.home},
                                                      {"UID", std::to_string(h.uid)},
                                                      {"APP", p.name},
                                                      {"XDG_RUNTIME_DIR", h.xdg_runtime_dir},
                                                      {"XDG_DATA_HOME", h.xdg_data_home},
                                                      {"DOWNLOADS", h.downloads}};
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    size_t end = text.find('}', i);
    if (end == std::string::npos) throw Error(p.file + ": " + field + ": unclosed `${`");
    const std::string name = text.substr(i + 2, end - i - 2);
    bool found = false;
    for (const auto& [n, v] : vars)
      if (name == n) out += v, found = true;
    if (!found)
      throw Error(p.file + ": " + field + ": unknown variable ${" + name +
                  "} (there are HOME, UID, APP, XDG_RUNTIME_DIR, XDG_DATA_HOME, DOWNLOADS)");
    i = end + 1;
  }
  return out;
}

void compile_process(const Profile& p, const HostFacts& h, const CompileOptions& o, oci::Spec& s) {
  oci::Process proc;
  proc.terminal = o.terminal;
  proc.user = oci::User{};
  proc.user->uid = h.uid;
  proc.user->gid = h.gid;
  oci::StringList args = {p.command};
  const auto& extra = o.args ? *o.args : p.args;
  args.insert(args.end(), extra.begin(), extra.end());
  proc.args = args;
  oci::StringList env = {"PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
                         "HOME=" + h.home, "USER=" + h.user, "XDG_RUNTIME_DIR=" + h.xdg_runtime_dir,
                         "LANG=C.UTF-8"};
  if (const char* term = ::getenv("TERM"); term && o.terminal)
    env.push_back(std::string("TERM=") + term);
  for (const auto& [k, v] : p.env)
    env.push_back(k + "=" + expand(v, p, h, "env." + k));
  proc.env = env;
  proc.cwd = p.workdir.empty() ? h.home : expand(p.workdir, p, h, "app.workdir");
  if (proc.cwd.empty() || proc.cwd[0] != '/')
    throw Error(p.file + ": app.workdir: expected an absolute path, not " + backquoted(proc.cwd));
  s.process = proc;
  s.hostname = o.hostname.empty() ? p.name : o.hostname;
  // Host ids inside: the app's files and sockets belong to the same user on both sides.
  oci::IdMapping uid_map{h.uid, h.uid, 1, {}}, gid_map{h.gid, h.gid, 1, {}};
  s.linux->uid_mappings = std::vector<oci::IdMapping>{uid_map};
  s.linux->gid_mappings = std::vector<oci::IdMapping>{gid_map};
}

void compile_filesystem(const Profile& p, const HostFacts& h, const CompileOptions& o,
                        oci::Spec& s) {
  s.root = oci::Root{o.rootfs, true, {}};
  std::vector<oci::Mount> m = {
      mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}),
      // No size: the kernel's default, half of memory, as the host's /dev/shm. Browsers share
      // frames through it and crash in docker's 64 MiB; a memory limit still counts it.
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      mount("/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=1777"}),
      mount("/run", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=755"}),
      mount("/var/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=1777"}),
  };
  // The host image: the system's directories, read-only.
  for (const auto& dir : h.root_dirs)
    m.push_back(bind_mount("/" + dir, "/" + dir, true));
  m.push_back(mount(h.xdg_runtime_dir, "tmpfs", "tmpfs",
                    {"nosuid", "nodev", "mode=700", "uid=" + std::to_string(h.uid),
                     "gid=" + std::to_string(h.gid)}));
  // Home: private to the app, kept or thrown away.
  if (p.home == HomeMode::persist)
    m.push_back(bind_mount(app_data_dir(p, h) + "/home", h.home, false));
  else
    m.push_back(mount(h.home, "tmpfs", "tmpfs",
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
  m.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
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

void compile_network(const Profile& p, oci::Spec& s) {
  auto& ns = *s.linux->namespaces;
  if (p.network == NetworkMode::bridge)
    throw Error(p.file +
                ": network.mode: \"bridge\" is not yet available (it comes with the "
                "netns helper); use \"none\" or \"host\"");
  if (p.network == NetworkMode::none) ns.push_back({"network", std::nullopt, {}});
}

oci::Spec compile_profile(const Profile& p, const HostFacts& h, const CompileOptions& o) {
  oci::Spec s;
  s.oci_version = std::string(oci::kVersion);
  s.linux = oci::Linux{};
  s.linux->namespaces = std::vector<oci::Namespace>{
      {"user", std::nullopt, {}}, {"mount", std::nullopt, {}}, {"pid", std::nullopt, {}},
      {"ipc", std::nullopt, {}},  {"uts", std::nullopt, {}},   {"cgroup", std::nullopt, {}}};
  s.annotations = std::map<std::string, std::string>{{"org.boxapp.app", p.name},
                                                     {"org.boxapp.profile", p.file}};
  compile_process(p, h, o, s);
  compile_filesystem(p, h, o, s);
  compile_desktop(p, h, o, s);
  compile_network(p, s);
  compile_security(p, s);
  compile_resources(p, s);
  return s;
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
