// boxapp-netns: the bridge network from the command line. Parsing and printing only; the
// work is in libboxnet (net/).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "daemon/holder.hpp"
#include "net/attach.hpp"
#include "net/hook.hpp"
#include "net/host_namespace.hpp"
#include "net/names.hpp"
#include "net/publish.hpp"
#include "ns/idmap.hpp"
#include "ns/session.hpp"
#include "util/error.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace {

using boxrt::Error;
using nlohmann::json;

// The session's user namespace is where the bridge's namespace and every box's are owned
// (docs/design.md): joined unless we are root in some user namespace already.
void enter_session() {
  if (::geteuid() != 0) boxrt::join_session(boxrt::ensure_session());
}

struct Args {
  pid_t pid = 0;
  std::string netns, name, ip;
  std::vector<std::string> ports;
  bool as_json = false;
};

int attach_cmd(const Args& a) {
  if ((a.pid != 0) == !a.netns.empty())
    throw Error("attach: give the box's process (--pid PID) or its namespace (--netns PATH)");
  const std::string path = a.pid ? "/proc/" + std::to_string(a.pid) + "/ns/net" : a.netns;
  boxrt::unique_fd ns;
  try {
    ns = boxrt::open_file(path, O_RDONLY);
  } catch (const Error& e) {
    throw Error("attach: " +
                std::string(a.pid ? "no process " + std::to_string(a.pid) + " to attach"
                                  : "no network namespace at " + a.netns) +
                " (" + e.what() + ")");
  }
  std::vector<boxnet::PortMapping> mappings;
  for (const auto& p : a.ports)
    mappings.push_back(boxnet::parse_port(p));
  // On the host's network namespace, ours until the session's is entered.
  boxnet::BoxRequests requests{boxnet::bind_ports(mappings), false, std::nullopt};
  if (!a.ip.empty()) {
    requests.ip = boxnet::Ipv4::parse(a.ip);
    if (!requests.ip) throw Error("attach --ip: `" + a.ip + "` is not an IPv4 address");
  }
  enter_session();
  const boxnet::Holder holder = a.pid ? boxnet::holder_of(a.pid) : boxnet::Holder{};
  const boxnet::Attachment at =
      boxnet::attach(boxnet::network_config(), a.name, ns.get(), holder, &requests);
  std::printf("%s\n", at.ip.str().c_str());
  return 0;
}

// As an OCI hook: the container's state on stdin.
int hook_cmd(const std::string& phase) {
  const boxnet::HookState s = boxnet::parse_hook_state(boxrt::read_all(0, "stdin"));
  if (phase == "detach") {
    enter_session();
    boxnet::hook_detach(s);
    return 0;
  }
  boxrt::unique_fd ns = boxnet::open_container_netns(s);
  boxnet::BoxRequests requests = boxnet::hook_requests(s);
  enter_session();
  boxnet::hook_attach(s, ns.get(), requests);
  return 0;
}

int ls_cmd(const Args& a) {
  const std::vector<boxnet::Published> published = boxnet::list_published();
  json out = json::array();
  for (const auto& l : boxnet::list_leases()) {
    if (!l.held()) continue;
    json ports = json::array();
    for (const auto& p : published)
      if (p.name == l.name && p.ip == l.ip) ports.push_back(p.mapping.str());
    out.push_back({{"name", l.name},
                   {"ip", l.ip.str()},
                   {"mac", boxnet::box_mac(l.ip)},
                   {"link", boxnet::host_link_name(l.ip)},
                   {"pid", l.holder.pid},
                   {"ports", ports}});
  }
  if (a.as_json) {
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("%-20s %-12s %-17s %-11s %-7s %s\n", "NAME", "IP", "MAC", "LINK", "PID", "PORTS");
  for (const auto& b : out) {
    std::string ports;
    for (const auto& p : b["ports"])
      ports += (ports.empty() ? "" : ", ") + p.get<std::string>();
    std::printf("%-20s %-12s %-17s %-11s %-7d %s\n", b["name"].get<std::string>().c_str(),
                b["ip"].get<std::string>().c_str(), b["mac"].get<std::string>().c_str(),
                b["link"].get<std::string>().c_str(), b["pid"].get<int>(), ports.c_str());
  }
  return 0;
}

// For rootless runc and crun: their containers' user namespaces become children of the
// session's, which the bridge's namespace shares, so `hook attach` can plumb them. The ids
// in their config.json are then the session's, as under `podman unshare`: said first.
int exec_cmd(const std::vector<std::string>& cmd) {
  if (cmd.empty()) throw Error("exec: give the command to run: boxapp-netns exec -- CMD [ARGS...]");
  enter_session();
  // The holder started now, by us, not by a hook of CMD's: crun is a subreaper, and a
  // holder started under it would be its child, which `crun run` waits for.
  (void)boxnet::host_namespace();
  std::fprintf(stderr,
               "boxapp-netns: in the session's user namespace: uid map %s, gid map %s (inside "
               "outside count); config.json ids are these inside ids\n",
               boxrt::describe_id_map(boxrt::own_uid_map()).c_str(),
               boxrt::describe_id_map(boxrt::own_gid_map()).c_str());
  std::vector<char*> argv;
  for (const auto& s : cmd)
    argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  boxrt::throw_errno("exec " + boxrt::backquoted(cmd[0]));
}

// The holder in the foreground (a user service), or, with --ready-fd, as boxapp starts it.
int daemon_cmd(int ready_fd) {
  enter_session();
  if (ready_fd < 0 && boxnet::running_host_namespace())
    throw Error("daemon: a holder of the bridge's namespace runs already (on " +
                boxrt::backquoted(boxnet::holder_socket()) + ")");
  return boxnet::run_holder(boxnet::network_config(), ready_fd);
}

// Ends the holder (and its upstream), so that the next box starts one with network.toml as
// it is now. Boxes on the bridge would lose it: refused unless --force.
int stop_cmd(bool force) {
  enter_session();
  const pid_t pid = boxnet::holder_pid();
  if (!pid) {
    std::printf("no holder runs\n");
    return 0;
  }
  int held = 0;
  for (const auto& l : boxnet::list_leases())
    held += l.held() ? 1 : 0;
  if (held && !force)
    throw Error("stop: " + std::to_string(held) +
                " boxes are on the bridge and would lose it: stop them first, or --force");
  boxrt::unique_fd pidfd = boxrt::open_pidfd(pid);
  if (::kill(pid, SIGTERM) != 0) boxrt::throw_errno("stop: kill " + std::to_string(pid));
  struct pollfd p = {pidfd.get(), POLLIN, 0};
  if (pidfd) ::poll(&p, 1, 5000);
  std::printf("stopped the holder (%d)\n", pid);
  return 0;
}

int status_cmd() {
  const boxnet::NetworkConfig c = boxnet::network_config();
  int held = 0;
  for (const auto& l : boxnet::list_leases())
    held += l.held() ? 1 : 0;
  const bool up = static_cast<bool>(boxnet::running_host_namespace());
  std::printf("bridge %s %s, gateway %s: %s, %d attached\n", boxnet::kBridge,
              c.subnet.str().c_str(), c.gateway.str().c_str(), up ? "up" : "down", held);
  std::string upstream = up ? boxrt::try_read_file(boxnet::upstream_state_file()).value_or("")
                            : std::string("down: no holder runs (the first attach starts it)\n");
  std::printf("upstream %s: %s", boxnet::upstream_name(c.upstream), upstream.c_str());
  if (up) std::printf("holder: %d\n", boxnet::holder_pid());
  if (up)
    std::printf(
        "dns: %s",
        boxrt::try_read_file(boxnet::dns_state_file()).value_or("down: not started\n").c_str());
  if (c.host_loopback)
    std::printf("the host's loopback: at %s from boxes\n", boxnet::host_address(c).str().c_str());
  return 0;
}

int ip_cmd(const Args& a) {
  for (const auto& l : boxnet::list_leases())
    if (l.name == a.name && l.held()) {
      std::printf("%s\n", l.ip.str().c_str());
      return 0;
    }
  throw Error("no box " + boxrt::backquoted(a.name) + " is attached");
}

// What boxes that are gone left: leases, names, and the ports published for a namespace
// (attach --netns; those of a box's init end with it by themselves).
int gc_cmd() {
  const int freed = boxnet::collect_leases();
  std::set<std::string> held;
  for (const auto& l : boxnet::list_leases())
    if (l.held()) {
      held.insert(l.name);
    } else {
      boxnet::withdraw_name(l.ip);
      boxnet::forget_requests(l.name);
    }
  for (const auto& p : boxnet::list_published())
    if (!held.count(p.name)) boxnet::unpublish(p.name);
  std::printf("%d freed\n", freed);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"boxapp-netns: bridge networking for boxes, without setuid", "boxapp-netns"};
  app.require_subcommand(1);
  Args a;
  auto* attach = app.add_subcommand("attach", "put a box on the bridge; prints its address");
  attach->add_option("--pid", a.pid, "a process in the box");
  attach->add_option("--netns", a.netns, "the box's network namespace, by path");
  attach->add_option("--name", a.name, "the box's name")->required();
  attach->add_option("--ip", a.ip, "this address on the bridge, not the name's usual one");
  attach->add_option("-p,--publish", a.ports,
                     "[IP:]HOST_PORT:BOX_PORT[/udp]: reachable on the host (repeatable)");
  auto* detach = app.add_subcommand("detach", "take a box off the bridge");
  detach->add_option("--name", a.name, "the box's name")->required();
  auto* ls = app.add_subcommand("ls", "the attached boxes");
  ls->add_flag("--json", a.as_json);
  auto* ip = app.add_subcommand("ip", "a box's address");
  ip->add_option("name", a.name)->required();
  auto* gc = app.add_subcommand("gc", "free what boxes that are gone left");
  auto* status = app.add_subcommand("status", "the bridge, up or down, and how many are on it");
  std::string phase;
  auto* hook =
      app.add_subcommand("hook", "as an OCI hook (createRuntime, poststop): the state on stdin");
  hook->add_option("phase", phase, "attach or detach")
      ->required()
      ->check(CLI::IsMember({"attach", "detach"}));
  bool force = false;
  auto* stop = app.add_subcommand("stop", "end the holder, to take up a changed network.toml");
  stop->add_flag("--force", force, "even with boxes on the bridge");
  int ready_fd = -1;
  auto* daemon = app.add_subcommand("daemon", "hold the bridge's namespace (a user service)");
  daemon->add_option("--ready-fd", ready_fd, "close this descriptor once serving");
  std::vector<std::string> cmd;
  auto* exec = app.add_subcommand(
      "exec", "run a command in the session's user namespace (rootless runc/crun under it)");
  exec->add_option("command", cmd, "after --");
  CLI11_PARSE(app, argc, argv);
  try {
    if (*attach) return attach_cmd(a);
    if (*detach) {
      enter_session();
      boxnet::detach(a.name);
      return 0;
    }
    if (*ls) return ls_cmd(a);
    if (*ip) return ip_cmd(a);
    if (*status) return status_cmd();
    if (*exec) return exec_cmd(cmd);
    if (*daemon) return daemon_cmd(ready_fd);
    if (*stop) return stop_cmd(force);
    if (*hook) return hook_cmd(phase);
    if (*gc) return gc_cmd();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "boxapp-netns: %s\n", e.what());
    return 1;
  }
  return 0;
}
