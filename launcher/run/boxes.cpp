#include "run/boxes.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "compile/compile.hpp"
#include "host/box_paths.hpp"
#include "image/box_image.hpp"
#include "net/publish.hpp"
#include "profile/profile.hpp"
#include "run/box_log.hpp"
#include "run/box_runtime.hpp"
#include "run/bridge.hpp"
#include "util/error.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"
#include "util/user_dirs.hpp"

namespace boxapp {

using boxrt::backquoted;

std::vector<BoxInfo> list_boxes(bool all) {
  std::vector<BoxInfo> out;
  for (const auto& v : box_runtime().list()) {
    if (!all && v.state.status == oci::Status::stopped) continue;
    BoxInfo b;
    b.name = box_name_of_id(v.state.id);
    if (v.state.annotations && v.state.annotations->count(kAppAnnotation))
      b.app = v.state.annotations->at(kAppAnnotation);
    b.pid = v.state.pid.value_or(0);
    b.status = std::string(oci::to_string(v.state.status));
    b.created = v.state.extra.value("created", "");
    if (v.state.status != oci::Status::stopped) b.ip = bridge_ip(v.state.bundle);
    out.push_back(b);
  }
  // One question to the forwarder, and only when a box is on the bridge.
  if (std::any_of(out.begin(), out.end(), [](const BoxInfo& b) { return !b.ip.empty(); }))
    for (const auto& p : boxnet::list_published())
      for (auto& b : out)
        if (b.name == p.name && b.ip == p.ip.str()) b.ports.push_back(p.mapping.str());
  return out;
}

std::vector<std::string> running_boxes() {
  std::vector<std::string> out;
  for (const auto& b : list_boxes(false))
    out.push_back(b.name);
  return out;
}

namespace {

// A box being stopped: its init, held by a pidfd, whose exit is the end of the box (the
// kernel kills what is left in its pid namespace, and the init's exit waits for that).
struct Stopping {
  std::string name;  // the runtime's id
  boxrt::unique_fd pidfd;
};

// Waits until every init has exited or the deadline passes; those still running.
std::vector<Stopping*> wait_for_exits(std::vector<Stopping>& boxes,
                                      std::chrono::steady_clock::time_point deadline) {
  std::vector<Stopping*> left;
  for (auto& b : boxes)
    left.push_back(&b);
  while (!left.empty()) {
    std::vector<struct pollfd> p;
    for (auto* b : left)
      p.push_back({b->pidfd.get(), POLLIN, 0});
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
    if (ms <= 0) break;
    int n = ::poll(p.data(), p.size(), static_cast<int>(ms));
    if (n < 0 && errno != EINTR) boxrt::throw_errno("wait for boxes to stop");
    std::vector<Stopping*> still;
    for (size_t i = 0; i < p.size(); ++i)
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) still.push_back(left[i]);
    left = still;
  }
  return left;
}

}  // namespace

void stop_boxes(const std::vector<std::string>& names, int grace_s) {
  boxrt::Runtime rt = box_runtime();
  std::vector<Stopping> boxes;
  for (const auto& name : names) {
    const std::string id = box_id(name);
    if (!rt.store().exists(id)) throw boxrt::Error("no box " + backquoted(name));
    auto v = rt.state(id);
    if (v.state.status == oci::Status::stopped || !v.state.pid) continue;
    boxrt::unique_fd pidfd = boxrt::open_pidfd(*v.state.pid);
    // Opened, then checked: the pidfd is the init's, not a recycled pid's.
    if (!pidfd || rt.state(id).state.status == oci::Status::stopped) continue;
    boxes.push_back({id, std::move(pidfd)});
  }
  // All at once: ten boxes take one grace period, not ten.
  for (auto& b : boxes)
    try {
      rt.kill(b.name, SIGTERM, false);
    } catch (const boxrt::Error&) {
      // it ended meanwhile
    }
  auto now = std::chrono::steady_clock::now();
  std::vector<Stopping*> stubborn = wait_for_exits(boxes, now + std::chrono::seconds(grace_s));
  for (auto* b : stubborn)
    try {
      rt.kill(b->name, SIGKILL, true);
    } catch (const boxrt::Error&) {
      // it ended meanwhile
    }
  if (stubborn.empty()) return;
  std::vector<Stopping> killed;
  for (auto* b : stubborn)
    killed.push_back(std::move(*b));
  now = std::chrono::steady_clock::now();
  for (auto* b : wait_for_exits(killed, now + std::chrono::seconds(10)))
    throw boxrt::Error("box " + backquoted(box_name_of_id(b->name)) +
                       " is still running 10 s after SIGKILL");
}

void remove_boxes(const std::vector<std::string>& names, bool force, int grace_s) {
  if (force) stop_boxes(names, grace_s);
  const std::string runtime_dir = boxrt::user_runtime_dir();
  boxrt::Runtime rt = box_runtime(runtime_dir);
  for (const auto& name : names) {
    const std::string id = box_id(name);
    if (!rt.store().exists(id)) throw boxrt::Error("no box " + backquoted(name));
    if (!force && rt.state(id).state.status != oci::Status::stopped)
      throw boxrt::Error("box " + backquoted(name) + " is running: stop it first, or rm -f");
    rt.remove(id, force);
    forget_bridge_name(name, bundle_dir(runtime_dir, name));
    remove_bundle_dir(runtime_dir, name);
    discard_box_layer(name);
    remove_box_log(name);
  }
}

namespace {

// UID[:GID], numbers, as the box's id maps know them.
void set_user(oci::Process& p, const std::string& spec) {
  const size_t colon = spec.find(':');
  auto number = [&](const std::string& s) {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
      throw boxrt::Error("exec --user: expected UID or UID:GID (numbers), not " + backquoted(spec));
    return static_cast<uint32_t>(std::stoul(s));
  };
  p.user->uid = number(spec.substr(0, colon));
  if (colon != std::string::npos) p.user->gid = number(spec.substr(colon + 1));
}

}  // namespace

int exec_in_box(const std::string& name, const ExecRequest& r) {
  if (r.command.empty())
    throw boxrt::Error("exec: give a command to run in " + backquoted(name) +
                       ": boxapp exec [OPTIONS] NAME COMMAND [ARGS...]");
  boxrt::Runtime rt = box_runtime();
  const std::string id = box_id(name);
  if (!rt.store().exists(id)) throw boxrt::Error("no box " + backquoted(name));
  boxrt::ExecOptions o;
  o.process = rt.default_exec_process(id);
  o.process.args = r.command;
  o.process.terminal = r.terminal;
  o.detach = r.detach;
  for (const auto& kv : r.env) {
    if (kv.find('=') == std::string::npos)
      throw boxrt::Error("exec --env: expected K=V, not " + backquoted(kv));
    // Replacing the box's own value, not shadowed by it.
    const std::string key = kv.substr(0, kv.find('=') + 1);
    auto& env = *o.process.env;
    env.erase(std::remove_if(env.begin(), env.end(),
                             [&](const std::string& e) { return e.rfind(key, 0) == 0; }),
              env.end());
    env.push_back(kv);
  }
  if (!r.workdir.empty()) o.process.cwd = r.workdir;
  if (!r.user.empty()) set_user(o.process, r.user);
  return rt.exec(id, o);
}

}  // namespace boxapp
