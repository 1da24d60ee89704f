#include "lifecycle/state_store.hpp"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.hpp"
#include "oci/schemas.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

constexpr const char* kPrivate = "org.boxapp.runtime";  // our fields inside state.json

// Removes a directory tree without following symlinks.
void remove_tree(int parent, const char* name) {
  unique_fd fd(::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  // The stream owns the descriptor once it is made.
  if (DIR* d = fd ? ::fdopendir(fd.get()) : nullptr) {
    const int dir = fd.release();
    while (auto* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      if (::unlinkat(dir, n.c_str(), 0) != 0 && errno == EISDIR) remove_tree(dir, n.c_str());
    }
    ::closedir(d);
  }
  ::unlinkat(parent, name, AT_REMOVEDIR);
}

}  // namespace

void throw_no_such_container(const std::string& id) {
  throw Error("container " + backquoted(id) + " does not exist");
}

void validate_id(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 1024 && id != "." && id != "..";
  for (char c : id)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
                c == '+');
  if (!ok)
    throw Error("invalid container id " + backquoted(id) +
                ": use letters, digits and _ - . + (not . or ..)");
}

void StateStore::claim(const std::string& id) {
  // The whole path: containerd's shim passes --root STATE/NAMESPACE and expects it made.
  try {
    make_dirs(root_, 0700);
  } catch (const Error& e) {
    throw Error("create state root " + backquoted(root_) + ": " + std::strerror(e.code()),
                e.code());
  }
  if (::mkdir(dir_of(id).c_str(), 0700) != 0) {
    if (errno == EEXIST) throw Error("container " + backquoted(id) + " already exists");
    throw_errno("create state directory " + backquoted(dir_of(id)));
  }
}

FileLock StateStore::lock(const std::string& id) const {
  try {
    return FileLock::acquire(dir_of(id) + "/lock");
  } catch (const Error& e) {
    if (e.code() == ENOENT) throw_no_such_container(id);
    throw;
  }
}

bool StateStore::exists(const std::string& id) const {
  return ::access((dir_of(id) + "/state.json").c_str(), F_OK) == 0;
}

ContainerRecord StateStore::load(const std::string& id) const {
  std::string text;
  try {
    text = read_file(dir_of(id) + "/state.json");
  } catch (const Error& e) {
    if (e.code() == ENOENT) throw_no_such_container(id);
    throw;
  }
  ContainerRecord r;
  try {
    auto j = nlohmann::json::parse(text);
    r.state = oci::state_from_json(j);
    const auto& mine = r.state.extra.at(kPrivate);
    r.start_time = mine.at("initStartTime").get<uint64_t>();
    if (mine.contains("hooks")) oci::read_value(mine["hooks"], "hooks", r.hooks);
    if (mine.contains("cgroup")) r.cgroup = mine["cgroup"].get<std::string>();
  } catch (const std::exception& e) {
    throw Error("container " + backquoted(id) + ": corrupt state " +
                backquoted(dir_of(id) + "/state.json") + ": " + e.what());
  }
  return r;
}

void StateStore::save(const ContainerRecord& record) const {
  oci::State s = record.state;
  s.extra[kPrivate]["initStartTime"] = record.start_time;
  if (!record.cgroup.empty()) s.extra[kPrivate]["cgroup"] = record.cgroup;
  if (record.hooks.poststart || record.hooks.poststop)
    s.extra[kPrivate]["hooks"] = oci::write_value(record.hooks);
  write_file_atomic(dir_of(s.id) + "/state.json", oci::state_to_json(s).dump() + "\n", 0600,
                    Durability::volatile_ok);
}

void StateStore::erase(const std::string& id) const {
  unique_fd fd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd) remove_tree(fd.get(), id.c_str());
}

std::vector<std::string> StateStore::ids() const {
  std::vector<std::string> out;
  DIR* d = ::opendir(root_.c_str());
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != ".." && exists(n)) out.push_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

oci::Status live_status(const StateStore& store, const ContainerRecord& r) {
  if (!r.state.pid || !is_same_live_process(*r.state.pid, r.start_time))
    return oci::Status::stopped;
  if (::access(store.start_socket_of(r.state.id).c_str(), F_OK) == 0) return oci::Status::created;
  if (!r.cgroup.empty() && cgroup_frozen(r.cgroup)) return oci::Status::paused;
  return oci::Status::running;
}

}  // namespace boxrt
