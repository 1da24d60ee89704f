// Files and folders named on the command line (`boxapp evince ~/paper.pdf`, a menu entry's
// %U): what the box's mounts don't show is bound in, read-only, at its own path. The app
// then opens what the user handed it and nothing beside it, as flatpak's document portal
// gives an app the one file chosen.
#include "compile/shared_files.hpp"

#include <climits>
#include <cstdlib>

#include "compile/spec_parts.hpp"
#include "util/sys.hpp"

namespace boxapp {
namespace {

// "/a/b" is below "/a" and below itself; "/ab" is not below "/a".
bool at_or_below(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path.compare(0, dir.size(), dir) == 0 &&
         (path.size() == dir.size() || path[dir.size()] == '/');
}

bool is_bind(const oci::Mount& m) {
  if (m.type == "bind") return true;
  if (!m.options) return false;
  for (const auto& o : *m.options)
    if (o == "bind" || o == "rbind") return true;
  return false;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decoded(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < s.size() && (hi = hex_value(s[i + 1])) >= 0 &&
        (lo = hex_value(s[i + 2])) >= 0) {
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Kernel file systems and the box's own: never the host's to hand over.
constexpr const char* kNeverShared[] = {"/proc", "/sys", "/dev", "/run/user"};

}  // namespace

std::string named_host_path(const std::string& arg) {
  if (arg.starts_with("/")) return arg;
  for (const char* prefix : {"file://localhost/", "file:///"}) {
    const std::string p = prefix;
    if (arg.starts_with(p)) return percent_decoded(arg.substr(p.size() - 1));
  }
  return "";
}

bool shows_host_path(const std::vector<oci::Mount>& mounts, const std::string& path) {
  // The last mount at or above the path decides what the box sees there.
  const oci::Mount* top = nullptr;
  for (const auto& m : mounts)
    if (at_or_below(path, m.destination)) top = &m;
  if (!top || !is_bind(*top) || !top->source) return false;
  const std::string rest = path.substr(top->destination == "/" ? 0 : top->destination.size());
  return *top->source + rest == path || (*top->source == "/" && rest == path);
}

std::vector<SharedPath> paths_to_share(const std::vector<std::string>& args,
                                       const std::vector<oci::Mount>& mounts) {
  std::vector<SharedPath> out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string named = named_host_path(args[i]);
    if (named.empty()) continue;
    char real[PATH_MAX];
    if (!::realpath(named.c_str(), real)) continue;  // not a file of the host's: as it is
    const std::string path = real;
    bool never = path == "/";
    for (const char* dir : kNeverShared)
      never = never || at_or_below(path, dir);
    // A folder at or above the box's own mounts (its home, say) would hide them.
    for (const auto& m : mounts)
      never = never || at_or_below(m.destination, path);
    if (!never && !shows_host_path(mounts, path)) out.push_back({i, path, path != named});
  }
  return out;
}

oci::Mount shared_path_mount(const std::string& path) {
  return bind_mount(path, path, true);
}

void compile_shared_files(oci::Spec& s) {
  if (!s.process || !s.process->args || !s.mounts) return;
  auto& args = *s.process->args;
  const std::vector<std::string> after(args.begin() + 1, args.end());
  for (const auto& shared : paths_to_share(after, *s.mounts)) {
    s.mounts->push_back(shared_path_mount(shared.path));
    // The box has the file where it really is.
    if (shared.moved) args[shared.index + 1] = shared.path;
  }
}

}  // namespace boxapp
