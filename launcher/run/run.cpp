#include "run/run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "display/nested_display.hpp"
#include "host/box_paths.hpp"
#include "ns/spare_network.hpp"
#include "run/box_log.hpp"
#include "run/box_runtime.hpp"
#include "run/prepare.hpp"
#include "sound/sound_socket.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/proc.hpp"
#include "util/scope_exit.hpp"
#include "util/sys.hpp"
#include "util/user_dirs.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

// The app's name, or name-2, name-3, ... when that one is running; a stopped leftover of
// the same name is cleared away.
std::string free_name(boxrt::Runtime& rt, const std::string& base, bool explicit_name) {
  for (int i = 1;; ++i) {
    std::string name = i == 1 ? base : base + "-" + std::to_string(i);
    if (!rt.store().exists(name)) return name;
    if (rt.state(name).state.status == oci::Status::stopped) {
      rt.remove(name, true);
      return name;
    }
    if (explicit_name) throw Error("a box named " + backquoted(name) + " is already running");
  }
}

// run -d --rm: a small process of its own waits for the box's app to end and removes the
// box, as the foreground run does when it returns.
void remove_when_done(boxrt::Runtime& rt, const std::string& name) {
  const auto view = rt.state(name);
  if (!view.state.pid) return;
  boxrt::unique_fd pidfd = boxrt::open_pidfd(*view.state.pid);
  pid_t child = ::fork();
  if (child != 0) return;
  ::setsid();
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd)
    ::dup2(null, fd);
  struct pollfd p = {pidfd.get(), POLLIN, 0};
  while (pidfd && ::poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
  try {
    box_runtime().remove(name, true);
    remove_bundle_dir(boxrt::user_runtime_dir(), name);
  } catch (const std::exception&) {
    // removed meanwhile
  }
  ::_exit(0);
}

// What would only fail once the box is set up, said first and plainly.
void check_runnable(const Profile& p, const HostFacts& h) {
  if (find_command(p, h).empty()) throw Error(command_missing(p));
  if (p.init && h.init_binary.empty())
    boxrt::log_warning("no catatonit on this host: " + p.name +
                       " runs as pid 1, which reaps no orphaned processes and gets no SIGTERM "
                       "unless it handles it (install catatonit, or set app.init = false)");
}

}  // namespace

RunResult run_box(const RunRequest& r) {
  const std::string runtime_dir = boxrt::user_runtime_dir();
  boxrt::make_dirs(boxes_dir(runtime_dir) + "/bundles", 0700);
  Profile profile = load_profile(find_profile(r.app));
  boxrt::Runtime rt = box_runtime(runtime_dir);
  RunResult result;
  result.name = free_name(rt, r.name.empty() ? profile.name : r.name, !r.name.empty());
  // Detached, its output goes to its log, not to our caller's terminal or pipe.
  remove_box_log(result.name);
  boxrt::unique_fd log, null;
  if (r.detach) {
    log = start_box_log(result.name);
    null = boxrt::open_file("/dev/null", O_RDONLY);
  }
  const std::string bundle = bundle_dir(runtime_dir, result.name);
  boxrt::make_dirs(bundle, 0700);
  // The bundle lives as long as the box: a run that fails, or ends in the foreground, takes
  // it along (the box is removed then too).
  bool keep_bundle = false;
  boxrt::ScopeExit drop_bundle([&] {
    if (!keep_bundle) remove_bundle_dir(runtime_dir, result.name);
  });
  // The box's sound socket is asked for first: the sound server makes it while the box is
  // compiled and set up. The app starts once it's there.
  std::optional<SoundSocket> sound;
  if (profile.audio != Audio::none) sound = SoundSocket::start(bundle, boxes_dir(runtime_dir));
  // And the network namespace the session keeps ready (ns/spare_network.hpp).
  boxrt::NetworkAhead network;
  if (profile.network == NetworkMode::none) network = boxrt::NetworkAhead::ask();
  HostFacts host = gather_host_facts();
  check_runnable(profile, host);
  warn_without_sound(profile, host);
  if (!gets_sound(profile, host)) sound.reset();
  std::optional<NestedDisplay> nested;
  if (profile.display == Display::x11_isolated) nested = NestedDisplay::start(bundle, host);
  PrepareOptions po;
  po.rootfs = host_root_dir(runtime_dir);
  po.box_dir = bundle;
  po.args = r.args;
  po.terminal = r.terminal;
  po.nested_display = nested ? nested->display() : "";
  PreparedBox c = prepare_box(std::move(profile), std::move(host), po);
  boxrt::CreateOptions o;
  o.bundle = bundle;
  o.spec = &c.spec;
  o.network_ahead = &network;
  if (r.detach) o.stdio = {null.get(), log.get(), log.get()};
  // While the runtime sets the box up.
  o.before_start = [&](pid_t pid) {
    boxrt::write_file_atomic(bundle + "/config.json", oci::dump_spec(c.spec), 0600,
                             boxrt::Durability::volatile_ok);
    if (sound) sound->ready(c.host, pid);
    if (nested) nested->watch(pid);
  };
  result.status = rt.run(result.name, o, r.detach, /*keep=*/false);
  keep_bundle = r.detach;
  log.reset();  // the box holds it now
  if (r.detach && r.remove_when_done) remove_when_done(rt, result.name);
  return result;
}

}  // namespace boxapp
