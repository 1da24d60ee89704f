// [image] etc = "minimal": the box's /etc made of what apps need, not the host's whole /etc
// (its user list, hostnames, every service's configuration): a copy of the host's files that
// a desktop app reads, with a passwd and group for the box alone (root, the user, nobody),
// bound read-only as one directory. One bind rather than one per file keeps its start as
// cheap as the host's /etc. The copy is the user's, made once and again only when its
// sources change (etc_signature); resolv.conf, which changes with the network, stays a
// bind of the host's, and machine-id is the app's own.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "compile/compile.hpp"
#include "compile/spec_parts.hpp"
#include "host/box_paths.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxapp {
namespace {

// Bound from the host, not copied: it changes with the network.
constexpr const char* kLiveEtc = "resolv.conf";

// What a desktop app reads of /etc: name resolution, time, fonts, certificates, the
// dynamic linker's cache, Debian's alternatives, MIME types, desktop-wide settings. Copied
// when the host has them. The profile's etc_files add to these.
constexpr const char* kMinimalEtc[] = {
    "hosts",       "nsswitch.conf", "host.conf",    "gai.conf",        "localtime",
    "timezone",    "fonts",         "ssl",          "ca-certificates", "alternatives",
    "ld.so.cache", "ld.so.conf",    "ld.so.conf.d", "mime.types",      "os-release",
    "protocols",   "services",      "xdg",          "dconf",           "gtk-3.0",
    "X11",
};

// The user's copies, by version, and the link to the current one that boxes bind.
std::string etc_versions_dir(const HostFacts& h) {
  return boxes_dir(h.xdg_runtime_dir) + "/etc";
}
// One link per app: apps' etc_files make versions of their own.
std::string current_etc(const Profile& p, const HostFacts& h) {
  return etc_versions_dir(h) + "/" + p.name;
}

std::string passwd_of(const HostFacts& h) {
  const std::string uid = std::to_string(h.uid), gid = std::to_string(h.gid);
  return "root:x:0:0:root:/root:/bin/sh\n" + h.user + ":x:" + uid + ":" + gid + "::" + h.home +
         ":/bin/bash\n" + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
}

// The user's group, and the host groups a box may have (audio, video, granted ones).
std::string group_of(const HostFacts& h) {
  std::string group = "root:x:0:\n" + h.user + ":x:" + std::to_string(h.gid) + ":\n";
  for (const auto& [name, g] : h.granted_groups)
    group += name + ":x:" + std::to_string(g) + ":" + h.user + "\n";
  for (const auto& [name, g] : {std::pair{"audio", h.audio_gid}, std::pair{"video", h.video_gid}})
    if (g && !h.granted_groups.count(name))
      group += std::string(name) + ":x:" + std::to_string(*g) + ":" + h.user + "\n";
  return group + "nogroup:x:65534:\n";
}

// Whether it is a directory.
bool add_stat(std::string& sig, const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return false;
  sig += path + ' ' + std::to_string(st.st_ino) + ' ' + std::to_string(st.st_size) + ' ' +
         std::to_string(st.st_mtim.tv_sec) + '.' + std::to_string(st.st_mtim.tv_nsec) + '\n';
  return S_ISDIR(st.st_mode);
}

// What the copy is made of: each source, and for a directory its subdirectories. A
// directory's mtime changes when an entry is added, removed or replaced (packages and
// editors replace files), so that sees a change two levels down; a file rewritten in place
// below the top is not seen. A hash of the text names the version; `paths` are what it
// stat'd, in order.
struct Signature {
  std::string text;
  std::vector<std::string> paths;
};

Signature scan_signature(const HostFacts& h, const std::vector<std::string>& names) {
  Signature sig{passwd_of(h) + group_of(h), {}};
  for (const auto& name : names) {
    const std::string path = "/etc/" + name;
    sig.paths.push_back(path);
    if (!add_stat(sig.text, path)) continue;
    DIR* d = ::opendir(path.c_str());
    while (auto* e = d ? ::readdir(d) : nullptr)
      if (e->d_type == DT_DIR && e->d_name[0] != '.') {
        sig.paths.push_back(path + "/" + e->d_name);
        add_stat(sig.text, sig.paths.back());
      }
    if (d) ::closedir(d);
  }
  return sig;
}

// The same text from the paths a version's scan stat'd, listing no directory (a start
// would otherwise read all of /etc/alternatives): equal to a new scan's until one of them
// changes, and a directory gained or lost is a change of its parent's.
std::string restat_signature(const HostFacts& h, const std::vector<std::string>& paths) {
  std::string text = passwd_of(h) + group_of(h);
  for (const auto& path : paths)
    add_stat(text, path);
  return text;
}

// Beside each version, VERSION.paths: the names it was made of ("n NAME") and the paths its
// scan stat'd ("p PATH").
std::string paths_record(const std::vector<std::string>& names, const Signature& sig) {
  std::string out;
  for (const auto& n : names)
    out += "n " + n + "\n";
  for (const auto& p : sig.paths)
    out += "p " + p + "\n";
  return out;
}

std::string hex_hash(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : text)
    h = (h ^ c) * 1099511628211ULL;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// cp -a, but what we can't read (/etc/ssl/private) is left out, as a bind would show it
// unreadable; the rest is copied all the same.
void copy_tree(const std::string& src, const std::string& dst) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // Errors of one entry's copy are its own: the walk goes on.
  auto copy_one = [](const fs::path& from, const fs::path& to) {
    std::error_code skip;
    const fs::file_status st = fs::symlink_status(from, skip);
    if (fs::is_symlink(st))
      fs::copy_symlink(from, to, skip);
    else if (fs::is_directory(st))
      fs::create_directory(to, skip);
    else if (fs::is_regular_file(st))
      fs::copy_file(from, to, skip);
    return fs::is_directory(st);
  };
  if (!fs::exists(fs::symlink_status(src, ec)) || !copy_one(src, dst)) return;
  for (auto it =
           fs::recursive_directory_iterator(src, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    copy_one(it->path(), fs::path(dst) / it->path().lexically_relative(src));
}

// A new version in a directory of its own, moved into place whole: a box never binds half
// a copy, and two starts making it at once both end with one.
void make_etc_version(const HostFacts& h, const std::vector<std::string>& names,
                      const std::string& version) {
  namespace fs = std::filesystem;
  const std::string tmp = version + ".tmp." + std::to_string(::getpid());
  fs::remove_all(tmp);
  boxrt::make_dirs(tmp, 0755);
  for (const auto& name : names)
    copy_tree("/etc/" + name, tmp + "/" + name);
  boxrt::write_file_atomic(tmp + "/passwd", passwd_of(h), 0644, boxrt::Durability::volatile_ok);
  boxrt::write_file_atomic(tmp + "/group", group_of(h), 0644, boxrt::Durability::volatile_ok);
  // Mount points for the binds over it, so that the runtime needs not make them.
  for (const char* point : {kLiveEtc, "machine-id"})
    boxrt::write_file_atomic(tmp + "/" + point, "", 0644, boxrt::Durability::volatile_ok);
  if (::rename(tmp.c_str(), version.c_str()) != 0) fs::remove_all(tmp);  // made meanwhile
}

// What the copy holds: the usual, and the profile's etc_files.
std::vector<std::string> etc_names(const Profile& p) {
  std::vector<std::string> names(std::begin(kMinimalEtc), std::end(kMinimalEtc));
  names.insert(names.end(), p.etc_files.begin(), p.etc_files.end());
  return names;
}

}  // namespace

void compile_minimal_etc(const Profile& p, const HostFacts& h, std::vector<oci::Mount>& m) {
  m.push_back(bind_mount(current_etc(p, h), "/etc", true));
  // A bridged box's own is bound over it (compile/network.cpp).
  if (p.network != NetworkMode::bridge && h.path_exists(std::string("/etc/") + kLiveEtc))
    m.push_back(bind_mount(std::string("/etc/") + kLiveEtc, std::string("/etc/") + kLiveEtc, true));
}

// Whether the version the app's link names is still what the host's /etc would make: its
// record's names are the profile's, and its paths stat as they did.
bool still_current(const HostFacts& h, const std::vector<std::string>& names,
                   const std::string& dir, const std::string& version) {
  if (version.empty()) return false;
  std::vector<std::string> recorded_names, paths;
  const std::optional<std::string> read = boxrt::try_read_file(dir + "/" + version + ".paths");
  if (!read) return false;
  const std::string& record = *read;
  size_t at = 0;
  for (size_t nl; (nl = record.find('\n', at)) != std::string::npos; at = nl + 1) {
    const std::string line = record.substr(at, nl - at);
    if (line.size() < 2) return false;
    (line[0] == 'n' ? recorded_names : paths).push_back(line.substr(2));
  }
  return recorded_names == names && hex_hash(restat_signature(h, paths)) == version;
}

void prepare_minimal_etc(const Profile& p, const HostFacts& h) {
  const std::vector<std::string> names = etc_names(p);
  const std::string dir = etc_versions_dir(h);
  const std::string link = current_etc(p, h);
  char target[64] = {};
  if (::readlink(link.c_str(), target, sizeof target - 1) > 0 &&
      still_current(h, names, dir, target))
    return;
  const Signature sig = scan_signature(h, names);
  const std::string name = hex_hash(sig.text);
  const std::string version = dir + "/" + name;
  boxrt::make_dirs(dir, 0700);
  if (!boxrt::path_exists(version)) make_etc_version(h, names, version);
  boxrt::write_file_atomic(version + ".paths", paths_record(names, sig), 0600,
                           boxrt::Durability::volatile_ok);
  if (name == target) return;
  // Swapped atomically; boxes bound to an older version keep it.
  const std::string tmp_link = link + ".tmp." + std::to_string(::getpid());
  ::unlink(tmp_link.c_str());
  if (::symlink(name.c_str(), tmp_link.c_str()) != 0 ||
      ::rename(tmp_link.c_str(), link.c_str()) != 0)
    boxrt::throw_errno("point " + boxrt::backquoted(link) + " at the minimal /etc");
}

}  // namespace boxapp
