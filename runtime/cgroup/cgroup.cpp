#include "cgroup/cgroup.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <sstream>
#include <thread>

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

// Splits on `sep` and on line ends, dropping empty parts.
std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  for (char c : s + sep) {
    if (c != sep && c != '\n') {
      part += c;
    } else if (!part.empty()) {
      out.push_back(part);
      part.clear();
    }
  }
  return out;
}

std::string parent_of(const std::string& rel) {
  size_t slash = rel.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : rel.substr(0, slash);
}

std::string join(const std::string& a, const std::string& b) {
  return a == "/" ? "/" + b : a + "/" + b;
}

bool writable(const std::string& dir) {
  return ::access(dir.c_str(), W_OK) == 0 && ::access((dir + "/cgroup.procs").c_str(), W_OK) == 0;
}

std::string read_small(const std::string& path) {
  return try_read_file(path).value_or("");
}

// Controllers the kernel has bound to cgroup v1 hierarchies, for telling why v2 lacks them.
std::set<std::string> v1_controllers() {
  std::set<std::string> out;
  std::istringstream in(read_small("/proc/cgroups"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string name;
    int hierarchy = 0;
    if (line.empty() || line[0] == '#' || !(f >> name >> hierarchy)) continue;
    if (hierarchy != 0) out.insert(name);
  }
  return out;
}

std::string controller_of(const std::string& file) {
  return file.substr(0, file.find('.'));
}

// Why the controller behind `file` is not in `dir`.
std::string missing_controller(const std::string& dir, const std::string& file) {
  const std::string ctl = controller_of(file);
  std::string why = "the " + ctl + " controller is not available in " + backquoted(dir);
  if (v1_controllers().count(ctl)) why += kHeldByV1;
  return why;
}

// Turns on the controllers in `want` that `dir` offers and its children don't have yet.
void enable_controllers(const std::string& dir, const std::set<std::string>& want) {
  const auto offered = split(read_small(dir + "/cgroup.controllers"), ' ');
  const auto enabled = split(read_small(dir + "/cgroup.subtree_control"), ' ');
  std::string add;
  for (const auto& name : offered)
    if (want.count(name) && std::find(enabled.begin(), enabled.end(), name) == enabled.end())
      add += (add.empty() ? "+" : " +") + name;
  if (add.empty()) return;
  unique_fd fd(::open((dir + "/cgroup.subtree_control").c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd || ::write(fd.get(), add.data(), add.size()) < 0)
    log_debug("cgroup " + backquoted(dir) + ": enable " + add + ": " + std::strerror(errno));
}

// Writes one value; false with errno set on failure.
bool write_value(const std::string& dir, const std::string& file, const std::string& value) {
  unique_fd fd(::open((dir + "/" + file).c_str(), O_WRONLY | O_CLOEXEC));
  return fd && ::write(fd.get(), value.data(), value.size()) == static_cast<ssize_t>(value.size());
}

// Applies the writes; the problems, one line each, with the spec field first.
std::vector<std::string> apply_writes(const std::string& dir, const std::vector<CgroupWrite>& w) {
  std::vector<std::string> problems;
  for (const auto& cw : w) {
    if (write_value(dir, cw.file, cw.value)) continue;
    if (errno == ENOENT)
      problems.push_back(cw.field + ": " + missing_controller(dir, cw.file));
    else
      problems.push_back(cw.field + ": write " + backquoted(cw.value) + " to " +
                         backquoted(dir + "/" + cw.file) + ": " + std::strerror(errno));
  }
  return problems;
}

bool populated(const std::string& dir) {
  return read_small(dir + "/cgroup.events").find("populated 1") != std::string::npos;
}

// Waits for a line of cgroup.events to read `want` ("frozen 1"), up to timeout.
bool wait_events(const std::string& dir, const std::string& want, int timeout_ms) {
  unique_fd fd = open_file(dir + "/cgroup.events", O_RDONLY);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    char buf[256];
    ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
    if (n > 0 && std::string(buf, static_cast<size_t>(n)).find(want) != std::string::npos)
      return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    struct pollfd p = {fd.get(), POLLPRI, 0};  // the file changes with POLLPRI
    ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 100)));
  }
}

std::string no_delegation_reason(const CgroupHost& host) {
  std::string why = "no part of the cgroup v2 tree at " + backquoted(host.mount) +
                    " is delegated to uid " + std::to_string(host_uid());
  if (!v1_controllers().empty()) why += " (this host keeps its controllers on cgroup v1)";
  return why;
}

}  // namespace

namespace {

// The cgroup2 mount from mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS] - FSTYPE
// SOURCE SUPEROPTS. One counts when nothing mounted later covers it. `own` is its root.
std::optional<CgroupHost> cgroup2_from_mountinfo() {
  struct Entry {
    std::string root, point, type;
  };
  std::vector<Entry> mounts;
  for (const auto& line : split(read_small("/proc/self/mountinfo"), '\n')) {
    const auto f = split(line, ' ');
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || dash == f.end() || dash + 1 == f.end()) continue;
    mounts.push_back({f[3], f[4], *(dash + 1)});
  }
  auto covered = [&](size_t i) {
    for (size_t j = i + 1; j < mounts.size(); ++j) {
      const std::string& p = mounts[j].point;
      if (p == mounts[i].point || mounts[i].point.rfind(p == "/" ? "/" : p + "/", 0) == 0)
        return true;
    }
    return false;
  };
  std::optional<CgroupHost> host;
  for (size_t i = 0; i < mounts.size(); ++i) {
    if (mounts[i].type != "cgroup2" || covered(i)) continue;
    if (host && host->mount == "/sys/fs/cgroup") continue;
    host = CgroupHost{mounts[i].point, mounts[i].root, ""};
  }
  return host;
}

// Our own cgroup, "0::/path", from /proc/self/cgroup.
std::string own_cgroup() {
  std::string own = "/";
  for (const auto& line : split(read_small("/proc/self/cgroup"), '\n'))
    if (line.rfind("0::", 0) == 0) own = line.substr(3);
  return own;
}

bool is_dir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::optional<CgroupHost> find_cgroup_host() {
  std::string own = own_cgroup();
  std::optional<CgroupHost> host;
  // Where systemd mounts it, by statfs: cheaper than the kernel writing out mountinfo at
  // every start. Trusted when our own cgroup is there as /proc/self/cgroup names it, which
  // a mount of a subtree (some container runtimes') would not show.
  for (const char* m : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    struct statfs sfs;
    if (::statfs(m, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC &&
        is_dir(std::string(m) + (own == "/" ? "" : own))) {
      host = CgroupHost{m, "/", ""};
      break;
    }
  }
  if (!host) host = cgroup2_from_mountinfo();
  if (!host) return host;
  // Seen from the mount's root.
  const std::string mount_root = host->own;
  if (mount_root != "/" && own.rfind(mount_root, 0) == 0) own = own.substr(mount_root.size());
  if (own.empty()) own = "/";
  host->own = own;
  // The topmost ancestor we may write: below it, the tree is ours to shape.
  for (std::string p = own;; p = parent_of(p)) {
    if (!writable(host->mount + (p == "/" ? "" : p))) break;
    host->delegated = p;
    if (p == "/") break;
  }
  return host;
}

void no_cgroup(const oci::Spec& spec, const std::string& why) {
  if (limits_required(spec))
    throw Error("linux.resources: can't be applied: " + why +
                " (the annotation boxapp.resources.required=false runs it without them)");
  if (requests_limits(spec))
    log_warning("linux.resources: not applied, the container runs without limits: " + why);
  else
    log_debug("no cgroup for the container: " + why);
}

namespace {

// The container's cgroup, relative to the mount's root, from linux.cgroupsPath: absolute
// from the tree's root; relative, or none (boxapp/ID), under the subtree delegated to us.
// nullopt with `why` when there is nothing delegated to put it under.
std::optional<std::string> cgroup_path_for(const oci::Spec& spec, const CgroupHost& host,
                                           const std::string& id, std::string& why) {
  const std::optional<std::string>& path = spec.linux ? spec.linux->cgroups_path : std::nullopt;
  if (path && (path->find("/../") != std::string::npos || path->ends_with("/..") ||
               path->starts_with("../") || *path == ".."))
    throw Error("linux.cgroupsPath: " + backquoted(*path) + " must not contain `..`");
  if (path && path->starts_with("/")) return *path;
  if (host.delegated.empty()) {
    // The reason reads /proc/cgroups: only when it will be shown, not at every start.
    const bool shown = requests_limits(spec) || log_enabled(LogLevel::debug);
    why = shown ? no_delegation_reason(host) : "no delegated cgroup";
    return std::nullopt;
  }
  return join(host.delegated, path && !path->empty() ? *path : "boxapp/" + id);
}

// Directories made on the way down to a container's cgroup, removed again unless the
// cgroup is handed over.
struct MadeDirs {
  std::vector<std::string> dirs;
  bool kept = false;
  ~MadeDirs() {
    if (kept) return;
    for (auto it = dirs.rbegin(); it != dirs.rend(); ++it)
      ::rmdir(it->c_str());
  }
};

// Down from the root: enables the controllers where we may and creates what is missing.
// The cgroup's directory, or nullopt with `why` when the tree isn't ours to write.
std::optional<std::string> make_cgroup_dirs(const std::string& mount, const std::string& rel,
                                            const std::set<std::string>& controllers,
                                            MadeDirs& made, std::string& why) {
  std::string dir = mount;
  const auto parts = split(rel, '/');
  if (parts.empty()) throw Error("linux.cgroupsPath: names the root of the cgroup tree");
  for (size_t i = 0; i < parts.size(); ++i) {
    if (writable(dir)) enable_controllers(dir, controllers);
    dir += "/" + parts[i];
    if (::mkdir(dir.c_str(), 0755) == 0) {
      made.dirs.push_back(dir);
    } else if (errno != EEXIST) {
      const int err = errno;
      why = "create cgroup " + backquoted(dir) + ": " + std::strerror(err);
      if (err == EACCES || err == EPERM || err == EROFS) return std::nullopt;
      throw Error(why);
    }
  }
  if (made.dirs.empty() || made.dirs.back() != dir) {
    if (populated(dir))
      throw Error("linux.cgroupsPath: cgroup " + backquoted(dir) + " already has processes");
    if (!writable(dir)) {
      why = "cgroup " + backquoted(dir) + " is not ours to write";
      return std::nullopt;
    }
  }
  return dir;
}

}  // namespace

std::optional<ContainerCgroup> create_container_cgroup(const oci::Spec& spec,
                                                       const std::string& id) {
  const bool required = limits_required(spec);
  std::vector<std::string> ignored;
  std::vector<CgroupWrite> writes;
  if (spec.linux && spec.linux->resources)
    writes = resource_writes(*spec.linux->resources, ignored);
  if (!ignored.empty() && required) throw Error(ignored.front());
  for (const auto& i : ignored)
    log_warning(i + "; ignored");

  auto unavailable = [&](const std::string& why) -> std::optional<ContainerCgroup> {
    no_cgroup(spec, why);
    return std::nullopt;
  };
  std::optional<CgroupHost> host = find_cgroup_host();
  if (!host) return unavailable("no cgroup v2 hierarchy is mounted");
  std::string why;
  std::optional<std::string> rel = cgroup_path_for(spec, *host, id, why);
  if (!rel) return unavailable(why);
  std::set<std::string> controllers = {"memory", "pids", "cpu", "io"};
  for (const auto& w : writes)
    controllers.insert(controller_of(w.file));
  MadeDirs made;
  std::optional<std::string> dir = make_cgroup_dirs(host->mount, *rel, controllers, made, why);
  if (!dir) return unavailable(why);

  std::vector<std::string> problems = apply_writes(*dir, writes);
  for (const auto& p : problems)
    if (problem_is_fatal(spec, p)) throw Error(p);
  for (const auto& p : problems)
    log_warning(p + "; not applied");
  ContainerCgroup cg;
  cg.path = *dir;
  cg.dir.reset(::open(dir->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cg.dir) throw_errno("open cgroup " + backquoted(*dir));
  made.kept = true;
  return cg;
}

void apply_container_resources(const std::string& dir, const oci::Spec& spec) {
  if (!spec.linux || !spec.linux->resources) return;
  std::vector<std::string> ignored;
  std::vector<CgroupWrite> writes = resource_writes(*spec.linux->resources, ignored);
  std::vector<std::string> problems = apply_writes(dir, writes);
  problems.insert(problems.begin(), ignored.begin(), ignored.end());
  for (const auto& p : problems)
    if (problem_is_fatal(spec, p)) throw Error(p);
  for (const auto& p : problems)
    log_warning(p + "; not applied");
}

void update_cgroup(const std::string& path, const oci::Resources& resources) {
  std::vector<std::string> ignored;
  std::vector<CgroupWrite> writes = resource_writes(resources, ignored);
  if (!ignored.empty()) throw Error(ignored.front());
  std::set<std::string> controllers;
  for (const auto& w : writes)
    controllers.insert(controller_of(w.file));
  // A limit whose controller isn't on yet: enable it in the parent first, if we may.
  const std::string parent = path.substr(0, path.rfind('/'));
  if (writable(parent)) enable_controllers(parent, controllers);
  std::vector<std::string> problems = apply_writes(path, writes);
  if (!problems.empty()) throw Error(problems.front());
}

void freeze_cgroup(const std::string& path, bool frozen) {
  if (!write_value(path, "cgroup.freeze", frozen ? "1" : "0"))
    throw_errno("write cgroup.freeze in " + backquoted(path));
  if (!wait_events(path, frozen ? "frozen 1" : "frozen 0", 10000))
    throw Error(std::string("cgroup ") + backquoted(path) + " did not " +
                (frozen ? "freeze" : "thaw") + " within 10 s");
}

bool cgroup_frozen(const std::string& path) {
  return read_small(path + "/cgroup.freeze").starts_with("1");
}

std::vector<int> cgroup_pids(const std::string& path) {
  std::vector<int> out;
  std::istringstream in(read_small(path + "/cgroup.procs"));
  int pid;
  while (in >> pid)
    out.push_back(pid);
  return out;
}

bool destroy_cgroup(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0) return true;
  // A frozen cgroup's processes die only once thawed.
  if (cgroup_frozen(path)) write_value(path, "cgroup.freeze", "0");
  if (!write_value(path, "cgroup.kill", "1"))
    for (int pid : cgroup_pids(path))
      ::kill(pid, SIGKILL);
  try {
    if (!wait_events(path, "populated 0", 10000)) return false;
  } catch (const Error& e) {
    // systemd removes a scope's cgroup as soon as it empties, maybe before we look: gone is
    // what we wanted (`delete -f` of a --systemd-cgroup container failed now and then).
    if (e.code() == ENOENT) return true;
    throw;
  }
  for (int i = 0; i < 50; ++i) {
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return true;
    if (errno != EBUSY) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  log_warning("remove cgroup " + backquoted(path) + ": " + std::strerror(errno));
  return false;
}

}  // namespace boxrt
