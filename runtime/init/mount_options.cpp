#include "init/mount_options.hpp"

#include <sys/mount.h>

#include <string_view>

#include "util/error.hpp"

namespace boxrt {
namespace {

struct FlagOption {
  std::string_view name;
  bool clear;          // "rw", "suid", ...: turns the flag off
  unsigned long flag;  // MS_*
  uint64_t attr;       // MOUNT_ATTR_*
};

// Access-time modes are one field, not independent bits.
constexpr uint64_t kAtimeMask = MOUNT_ATTR__ATIME;

const FlagOption kFlags[] = {
    {"ro", false, MS_RDONLY, MOUNT_ATTR_RDONLY},
    {"rw", true, MS_RDONLY, MOUNT_ATTR_RDONLY},
    {"nosuid", false, MS_NOSUID, MOUNT_ATTR_NOSUID},
    {"suid", true, MS_NOSUID, MOUNT_ATTR_NOSUID},
    {"nodev", false, MS_NODEV, MOUNT_ATTR_NODEV},
    {"dev", true, MS_NODEV, MOUNT_ATTR_NODEV},
    {"noexec", false, MS_NOEXEC, MOUNT_ATTR_NOEXEC},
    {"exec", true, MS_NOEXEC, MOUNT_ATTR_NOEXEC},
    {"nodiratime", false, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME},
    {"diratime", true, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME},
    {"nosymfollow", false, MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
    {"symfollow", true, MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
};

struct AtimeOption {
  std::string_view name;
  unsigned long flag;
  uint64_t attr;
};
const AtimeOption kAtime[] = {
    {"relatime", MS_RELATIME, MOUNT_ATTR_RELATIME},
    {"norelatime", 0, MOUNT_ATTR_STRICTATIME},
    {"strictatime", MS_STRICTATIME, MOUNT_ATTR_STRICTATIME},
    {"nostrictatime", MS_RELATIME, MOUNT_ATTR_RELATIME},
    {"noatime", MS_NOATIME, MOUNT_ATTR_NOATIME},
    {"atime", 0, MOUNT_ATTR_RELATIME},
};

struct MiscOption {
  std::string_view name;
  unsigned long set, clear;
};
const MiscOption kMisc[] = {
    {"sync", MS_SYNCHRONOUS, 0},
    {"async", 0, MS_SYNCHRONOUS},
    {"dirsync", MS_DIRSYNC, 0},
    {"silent", MS_SILENT, 0},
    {"loud", 0, MS_SILENT},
    {"mand", 0, 0},
    {"nomand", 0, 0},
    {"defaults", 0, 0},
    {"remount", 0, 0},
};

bool apply_flag(std::string_view opt, MountOptions& out, bool recursive) {
  for (const auto& f : kFlags) {
    if (opt != f.name) continue;
    if (f.clear) {
      out.flags &= ~f.flag;
      out.attr_set &= ~f.attr;
      out.attr_clr |= f.attr;
    } else {
      out.flags |= f.flag;
      out.attr_set |= f.attr;
      out.attr_clr &= ~f.attr;
    }
    out.attr_recursive |= recursive;
    return true;
  }
  for (const auto& a : kAtime) {
    if (opt != a.name) continue;
    out.flags &= ~(MS_RELATIME | MS_STRICTATIME | MS_NOATIME);
    out.flags |= a.flag;
    out.attr_set = (out.attr_set & ~kAtimeMask) | a.attr;
    out.attr_clr |= kAtimeMask;
    out.attr_recursive |= recursive;
    return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> known_mount_options() {
  std::vector<std::string> out = {"bind", "rbind"};
  for (const char* p : {"private", "shared", "slave", "unbindable"}) {
    out.push_back(p);
    out.push_back(std::string("r") + p);
  }
  for (const auto& f : kFlags) {
    out.emplace_back(f.name);
    out.push_back("r" + std::string(f.name));
  }
  for (const auto& a : kAtime) {
    out.emplace_back(a.name);
    out.push_back("r" + std::string(a.name));
  }
  for (const auto& m : kMisc)
    out.emplace_back(m.name);
  out.emplace_back("tmpcopyup");
  return out;
}

unsigned long propagation_flags(const std::string& name) {
  if (name == "private") return MS_PRIVATE;
  if (name == "rprivate") return MS_PRIVATE | MS_REC;
  if (name == "shared") return MS_SHARED;
  if (name == "rshared") return MS_SHARED | MS_REC;
  if (name == "slave") return MS_SLAVE;
  if (name == "rslave") return MS_SLAVE | MS_REC;
  if (name == "unbindable") return MS_UNBINDABLE;
  if (name == "runbindable") return MS_UNBINDABLE | MS_REC;
  return 0;
}

MountOptions parse_mount_options(const std::vector<std::string>& options,
                                 const std::string& member) {
  MountOptions out;
  for (size_t i = 0; i < options.size(); ++i) {
    const std::string& opt = options[i];
    if (opt == "bind" || opt == "rbind") {
      out.bind = true;
      out.recursive_bind |= opt == "rbind";
      continue;
    }
    if (auto p = propagation_flags(opt)) {
      out.propagation = p;
      continue;
    }
    if (opt == "tmpcopyup") {  // runc's and crun's: the tmpfs starts with what it covers
      out.copy_up = true;
      continue;
    }
    if (apply_flag(opt, out, false)) continue;
    // rro, rnosuid, ...: the same attribute on every mount below too (mount_setattr).
    if (opt.size() > 1 && opt[0] == 'r' && apply_flag(std::string_view(opt).substr(1), out, true))
      continue;
    bool misc = false;
    for (const auto& m : kMisc) {
      if (opt != m.name) continue;
      out.flags = (out.flags | m.set) & ~m.clear;
      misc = true;
    }
    if (misc) continue;
    if (opt == "idmap" || opt == "ridmap")
      throw Error(member + "[" + std::to_string(i) + "]: idmapped mounts are not supported yet");
    if (!out.data.empty()) out.data += ',';
    out.data += opt;
  }
  return out;
}

}  // namespace boxrt
