#include "run/instances.hpp"

#include <unistd.h>

#include <chrono>
#include <thread>

#include "compile/compile.hpp"
#include "compile/shared_files.hpp"
#include "host/box_paths.hpp"
#include "run/box_runtime.hpp"
#include "run/boxes.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/user_dirs.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

// Running; a stopped box of that name is cleared away (false).
bool running_or_clear(boxrt::Runtime& rt, const std::string& name) {
  const std::string id = box_id(name);
  if (!rt.store().exists(id)) return false;
  if (rt.state(id).state.status != oci::Status::stopped) return true;
  rt.remove(id, true);
  return false;
}

}  // namespace

BoxChoice choose_box(boxrt::Runtime& rt, const Profile& p, const std::string& explicit_name) {
  if (!explicit_name.empty()) {
    if (running_or_clear(rt, explicit_name))
      throw Error("a box named " + backquoted(explicit_name) + " is already running");
    return {explicit_name, false};
  }
  const std::string base = box_name(p);
  if (!running_or_clear(rt, base)) return {base, false};
  if (p.single_instance) return {base, true};
  for (int i = 2;; ++i) {
    const std::string name = base + "-" + std::to_string(i);
    if (!running_or_clear(rt, name)) return {name, false};
  }
}

int hand_over(const std::string& name, const Profile& p, const RunRequest& r) {
  // Files the running box doesn't see are bound into it now, read-only, as they would have
  // been at its start; its config.json says so, for `inspect` and the next hand-over.
  std::optional<std::vector<std::string>> args = r.args;
  if (args) {
    const std::string config = bundle_dir(boxrt::user_runtime_dir(), name) + "/config.json";
    oci::Spec spec = oci::load_spec(config);
    const auto shared = paths_to_share(*args, oci::items(spec.mounts));
    if (!shared.empty()) {
      boxrt::Runtime rt = box_runtime();
      for (const auto& s : shared) {
        rt.share_path(box_id(name), s.path);
        if (!spec.mounts) spec.mounts.emplace();
        spec.mounts->push_back(shared_path_mount(s.path));
        if (s.moved) (*args)[s.index] = s.path;
      }
      boxrt::write_file_atomic(config, oci::dump_spec(spec), 0600, boxrt::Durability::volatile_ok);
    }
  }
  ExecRequest e;
  e.command = {p.command};
  if (args) e.command.insert(e.command.end(), p.exec_args.begin(), p.exec_args.end());
  if (args) e.command.insert(e.command.end(), args->begin(), args->end());
  e.terminal = r.terminal;
  e.detach = r.detach;
  return exec_in_box(name, e);
}

namespace {

// The running box that binds `home`, if one does.
std::optional<std::string> box_using(boxrt::Runtime& rt, const std::string& home) {
  for (const auto& v : rt.list()) {
    if (v.state.status == oci::Status::stopped || !v.state.annotations) continue;
    const auto it = v.state.annotations->find(kHomeAnnotation);
    if (it != v.state.annotations->end() && it->second == home) return box_name_of_id(v.state.id);
  }
  return std::nullopt;
}

}  // namespace

std::optional<boxrt::FileLock> claim_home(boxrt::Runtime& rt, const std::string& name,
                                          const oci::Spec& spec) {
  if (!spec.annotations || !spec.annotations->count(kHomeAnnotation)) return std::nullopt;
  const std::string& home = spec.annotations->at(kHomeAnnotation);
  const std::string& app = spec.annotations->at(kAppAnnotation);
  // Two browsers on one profile directory corrupt it.
  auto refuse = [&](const std::string& user) {
    throw Error("box " + backquoted(user) + " uses the home " + home +
                " already: a second box of it needs an instance of its own (boxapp run "
                "--instance NAME " +
                app + "), or stop " + backquoted(user) + " first (box " + backquoted(name) +
                " not started)");
  };
  if (auto user = box_using(rt, home)) refuse(*user);
  // A detached start holds the lock for milliseconds, a foreground box for its life.
  std::optional<boxrt::FileLock> lock;
  for (int i = 0; i < 40 && !(lock = boxrt::FileLock::try_acquire(home + ".lock")); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (auto user = box_using(rt, home)) refuse(*user);  // the one that started meanwhile
  if (!lock)
    throw Error("the home " + home + " is in use by a box that is starting: try again (box " +
                backquoted(name) + " not started)");
  return lock;
}

}  // namespace boxapp
