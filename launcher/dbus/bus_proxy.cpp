#include "dbus/bus_proxy.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compile/compile.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxapp {
namespace {

using boxrt::Error;

constexpr const char* kProxy = "/usr/bin/xdg-dbus-proxy";

const char* mode_name(BusMode m) {
  return m == BusMode::filter ? "filter" : m == BusMode::open ? "open" : "none";
}

void add_rules(std::vector<std::string>& args, const char* option,
               const std::vector<std::string>& names, const Profile& p, const HostFacts& h) {
  for (const auto& n : names)
    args.push_back(std::string("--") + option + "=" + expand(n, p, h, "dbus"));
}

// The proxy's output (it says why it can't listen or reach the bus), for the start to say.
std::string log_of(const std::string& dir) {
  std::string text = boxrt::try_read_file(dir + "/proxy.log").value_or("");
  while (!text.empty() && text.back() == '\n')
    text.pop_back();
  const size_t nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

// In the keeper: xdg-dbus-proxy with its lifeline on fd 3, which it writes a byte to once
// it listens and which ends it when we close our end. posix_spawn: a vfork, not a copy of
// the keeper, on the start's time.
pid_t spawn_proxy(const std::vector<std::string>& args, const std::string& dir, int& lifeline) {
  int p[2];
  boxrt::check(::pipe2(p, O_CLOEXEC), "pipe");
  lifeline = p[0];
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 2, (dir + "/proxy.log").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::posix_spawn_file_actions_adddup2(&actions, p[1], 3);  // dup2 clears close-on-exec
  std::vector<char*> argv = {const_cast<char*>(kProxy), const_cast<char*>("--fd=3")};
  for (const auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, kProxy, &actions, nullptr, argv.data(), ::environ);
  ::posix_spawn_file_actions_destroy(&actions);
  ::close(p[1]);
  if (rc != 0) throw boxrt::sys_error(rc, "start xdg-dbus-proxy");
  return pid;
}

}  // namespace

std::string bus_dir_in(const std::string& box_dir) {
  return box_dir + "/dbus";
}

std::string bus_dir_inside(const HostFacts& host) {
  return host.xdg_runtime_dir + "/dbus-proxy";
}

BusPlan plan_buses(const Profile& p, const HostFacts& h) {
  BusPlan plan;
  const BusMode s = p.session_bus.mode;
  if (s != BusMode::none) {
    if (h.session_bus.empty())
      plan.missing.push_back(p.file + ": dbus.session = \"" + mode_name(s) +
                             "\", but the session has no D-Bus (nothing at " + h.session_bus_tried +
                             "): the box runs without one");
    else if (s == BusMode::open && h.session_bus_path.empty())
      plan.missing.push_back(p.file + ": dbus.session = \"open\": the session bus " +
                             boxrt::backquoted(h.session_bus) +
                             " is no socket file to share (session = \"filter\" can reach it)");
    else if (s == BusMode::open)
      plan.open_session = true;
    else
      plan.session = true;
  }
  if (p.system_bus.mode == BusMode::filter) {
    if (h.system_bus.empty())
      plan.missing.push_back(p.file +
                             ": dbus.system = \"filter\", but there is no system bus "
                             "(/run/dbus/system_bus_socket): the box runs without one");
    else
      plan.system = true;
  }
  return plan;
}

std::vector<std::string> bus_proxy_args(const Profile& p, const HostFacts& h,
                                        const std::string& box_dir) {
  const BusPlan plan = plan_buses(p, h);
  std::vector<std::string> args;
  const std::string dir = bus_dir_in(box_dir);
  if (plan.session) {
    const BusPolicy& b = p.session_bus;
    args.insert(args.end(), {h.session_bus, dir + "/" + kSessionBusSocket, "--filter"});
    add_rules(args, "see", b.see, p, h);
    add_rules(args, "talk", b.talk, p, h);
    add_rules(args, "own", b.own, p, h);
    add_rules(args, "call", b.call, p, h);
    add_rules(args, "broadcast", b.broadcast, p, h);
  }
  if (plan.system) {
    args.insert(args.end(), {h.system_bus, dir + "/" + kSystemBusSocket, "--filter"});
    add_rules(args, "talk", p.system_bus.talk, p, h);
  }
  return args;
}

std::optional<BusProxy> BusProxy::start(const Profile& p, const HostFacts& h,
                                        const std::string& box_dir) {
  std::vector<std::string> args = bus_proxy_args(p, h, box_dir);
  if (args.empty()) return std::nullopt;
  if (::access(kProxy, X_OK) != 0)
    throw Error(p.file +
                ": [dbus]: a filtered bus needs xdg-dbus-proxy, which is not installed (apt-get "
                "install xdg-dbus-proxy)");
  const std::string dir = bus_dir_in(box_dir);
  boxrt::make_dirs(dir, 0700);
  // The keeper runs inside BoxKeeper::start, in its copy of this frame, and never returns
  // from it: these stay there for its helper.
  pid_t proxy = -1;
  int lifeline = -1;
  KeptHelper helper{
      [&]() -> std::string {
        proxy = spawn_proxy(args, dir, lifeline);
        char x = 0;
        struct pollfd pf = {lifeline, POLLIN, 0};
        if (::poll(&pf, 1, 10000) == 1 && ::read(lifeline, &x, 1) == 1) return "";
        ::kill(proxy, SIGKILL);
        ::waitpid(proxy, nullptr, 0);
        const std::string said = log_of(dir);
        throw Error("xdg-dbus-proxy did not start" + (said.empty() ? std::string() : ": " + said));
      },
      [&] {
        ::close(lifeline);  // the proxy ends when its lifeline does
        ::waitpid(proxy, nullptr, 0);
      }};
  BusProxy b;
  b.keeper_ = BoxKeeper::start("boxapp-dbus", helper);
  return b;
}

void BusProxy::ready() {
  try {
    keeper_.ready(15000);
  } catch (Error& e) {
    throw e.add_context("the box's D-Bus proxy");
  }
}

void BusProxy::watch(pid_t box_pid) {
  keeper_.watch(box_pid);
}

}  // namespace boxapp
