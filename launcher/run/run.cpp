#include "run/run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "cgroup/service.hpp"
#include "dbus/bus_proxy.hpp"
#include "display/nested_display.hpp"
#include "host/box_paths.hpp"
#include "image/box_image.hpp"
#include "launch/notify_socket.hpp"
#include "launch/signals.hpp"
#include "ns/spare_network.hpp"
#include "run/box_log.hpp"
#include "run/box_runtime.hpp"
#include "run/bridge.hpp"
#include "run/instances.hpp"
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

// run -d --rm: a small process of its own waits for the box's app to end and removes the
// box, as the foreground run does when it returns.
void remove_when_done(boxrt::Runtime& rt, const std::string& name) {
  const auto view = rt.state(box_id(name));
  if (!view.state.pid) return;
  boxrt::unique_fd pidfd = boxrt::open_pidfd(*view.state.pid);
  pid_t child = ::fork();
  if (child != 0) return;
  ::setsid();
  boxrt::set_process_title("boxapp-rm");
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd)
    ::dup2(null, fd);
  struct pollfd p = {pidfd.get(), POLLIN, 0};
  while (pidfd && ::poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
  try {
    box_runtime().remove(box_id(name), true);
    remove_bundle_dir(boxrt::user_runtime_dir(), name);
    discard_box_layer(name);
  } catch (const std::exception&) {
    // removed meanwhile
  }
  ::_exit(0);
}

// What would only fail once the box is set up, said first and plainly.
void check_runnable(const Profile& p, const HostFacts& h) {
  check_display_isolation(p);
  // An image's files are the runtime's to find (the layers' links resolve only in the box).
  if (p.image == "host" && find_command(p, h).empty()) throw Error(command_missing(p));
}

}  // namespace

RunResult run_box(const RunRequest& r) {
  const std::string runtime_dir = boxrt::user_runtime_dir();
  boxrt::make_dirs(boxes_dir(runtime_dir) + "/bundles", 0700);
  const auto [app, at_instance] = split_instance(r.app);
  Profile profile = load_profile(find_profile(app));
  set_instance(profile, r.instance.empty() ? at_instance : r.instance);
  boxrt::Runtime rt = box_runtime(runtime_dir);
  RunResult result;
  const BoxChoice choice = choose_box(rt, profile, r.name);
  result.name = choice.name;
  if (choice.hand_over) {
    result.status = hand_over(result.name, profile, r);
    return result;
  }
  // Detached, its output goes to its log, not to our caller's terminal or pipe.
  remove_box_log(result.name);
  boxrt::unique_fd log, null;
  if (r.detach) {
    log = start_box_log(result.name);
    null = boxrt::open_file("/dev/null", O_RDONLY);
  }
  const std::string bundle = bundle_dir(runtime_dir, result.name);
  boxrt::make_dirs(bundle, 0700);
  // In the foreground, from the start of the run on: a SIGTERM (systemd stopping the unit,
  // say) goes to the app while it runs, and waits while the box is cleared away after it, so
  // that no box is left half-removed. Declared before what clears it away, to outlive that.
  // The runtime's own blocking (the signals its foreground run forwards) serves.
  std::optional<boxrt::ForwardedSignals> blocked;
  // The bundle lives as long as the box: a run that fails, or ends in the foreground, takes
  // it along (the box is removed then too), and a failed detached run its log.
  bool keep_bundle = false;
  boxrt::ScopeExit drop_bundle([&] {
    if (keep_bundle) return;
    remove_bundle_dir(runtime_dir, result.name);
    discard_box_layer(result.name);
    if (r.detach) remove_box_log(result.name);
  });
  // The box's sound socket is asked for first: the sound server makes it while the box is
  // compiled and set up. The app starts once it's there.
  std::optional<SoundSocket> sound;
  if (profile.audio != Audio::none) sound = SoundSocket::start(bundle, boxes_dir(runtime_dir));
  // And the network namespace the session keeps ready (ns/spare_network.hpp).
  boxrt::NetworkAhead network;
  const bool bridge = profile.network == NetworkMode::bridge;
  if (profile.network != NetworkMode::host) network = boxrt::NetworkAhead::ask();
  HostFacts host = gather_host_facts();
  // The bus proxy starts as soon as it can (its few milliseconds go by while the box is set
  // up); the app waits for it. A start that fails meanwhile takes it along.
  warn_without_bus(profile, host);
  std::optional<BusProxy> bus = BusProxy::start(profile, host, bundle);
  std::optional<ImageRoot> image = image_for(profile, host, result.name);
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
  po.image = std::move(image);
  // network.toml read once, and the published ports bound: a mistake in it, or a port
  // taken, stops the box before anything is made for it.
  const boxnet::NetworkConfig net = bridge ? boxnet::network_config() : boxnet::NetworkConfig{};
  boxnet::BoxRequests requests = bridge_requests(profile, r.ports, r.publish_all);
  PreparedBox c = prepare_box(std::move(profile), std::move(host), po);
  if (bridge) write_network_files(net, bundle);
  std::optional<boxrt::FileLock> home_lock = claim_home(rt, result.name, c.spec);
  // Run by boxapp@APP.service with Delegate=yes: the box's cgroup inside the unit's, which
  // systemd then stops, counts and shows as the unit's.
  if (!c.spec.linux->cgroups_path)
    if (auto service = boxrt::enter_service_leaf())
      c.spec.linux->cgroups_path = *service + "/" + box_id(result.name);
  boxrt::CreateOptions o;
  o.bundle = bundle;
  o.spec = &c.spec;
  o.network_ahead = &network;
  if (r.detach) o.stdio = {null.get(), log.get(), log.get()};
  if (bridge)
    o.network_ready = [&](int netns, pid_t pid) {
      plumb_bridge(net, {result.name, *c.spec.hostname, bundle}, requests, netns, pid);
    };
  // Under a systemd Type=notify unit (boxapp@.service): ready once the app runs, or when the
  // app says so ([app] sd_notify). boxapp stays the unit's main process either way, so that
  // the unit ends once the box is cleared away, not when the app ends.
  if (!boxrt::caller_notify_socket().empty()) {
    using Notify = boxrt::CreateOptions::Notify;
    o.notify = c.profile.sd_notify ? Notify::container_ready : Notify::none;
    if (!c.profile.sd_notify) o.started = [](pid_t) { boxrt::notify_caller("READY=1\n"); };
  }
  // While the runtime sets the box up.
  o.before_start = [&](pid_t pid) {
    boxrt::write_file_atomic(bundle + "/config.json", oci::dump_spec(c.spec), 0600,
                             boxrt::Durability::volatile_ok);
    if (sound) sound->ready(c.host, pid);
    if (nested) nested->watch(pid);
    if (bus) bus->ready(), bus->watch(pid);
  };
  if (!r.detach) blocked.emplace();
  result.status = rt.run(box_id(result.name), o, r.detach, /*keep=*/false);
  if (bridge && !r.detach) forget_bridge_name(result.name, bundle);
  keep_bundle = r.detach;
  log.reset();        // the box holds it now
  home_lock.reset();  // the box is recorded: its annotation says whose home it is
  if (r.detach && r.remove_when_done) remove_when_done(rt, result.name);
  return result;
}

}  // namespace boxapp
