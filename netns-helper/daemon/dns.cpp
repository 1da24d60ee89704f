#include "daemon/dns.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "daemon/child.hpp"
#include "net/names.hpp"
#include "util/error.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxnet {
namespace {

// Whether something accepts TCP on the gateway's port 53.
bool answers(Ipv4 gateway) {
  boxrt::unique_fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  struct sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(53);
  a.sin_addr.s_addr = htonl(gateway.value);
  return s && ::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

}  // namespace

std::vector<std::string> dns_argv(const NetworkConfig& c) {
  std::vector<std::string> a = {
      "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
      "--no-poll", "--bind-interfaces", "--listen-address=" + c.gateway.str(),
      // It runs as the session's root, which is the user on the host: no other user to
      // drop to (nobody may not be mapped), and no pid file.
      "--user=root", "--group=root", "--pid-file=", "--domain-needed", "--local=/box/",
      "--domain=box", "--expand-hosts", "--hostsdir=" + hosts_dir()};
  if (c.upstream != Upstream::none) a.push_back("--server=" + kUpstreamLink.dns.str());
  return a;
}

Dns start_dns(const NetworkConfig& c) {
  const std::vector<std::string> args = dns_argv(c);
  if (boxrt::find_on_path(args[0]).empty())
    throw boxrt::Error(
        "dnsmasq is not installed (apt-get install dnsmasq-base): boxes reach each other by "
        "address only");
  pid_t pid = ::fork();
  if (pid < 0) boxrt::throw_errno("fork");
  if (pid == 0) {
    exec_helper(args);
    ::_exit(127);
  }
  Dns d{pid, boxrt::open_pidfd(pid)};
  for (int waited = 0; waited < 1000 && !answers(c.gateway); waited += 2) {
    struct pollfd p = {d.pidfd.get(), POLLIN, 0};
    if (::poll(&p, 1, 2) > 0)
      throw boxrt::Error(
          "dnsmasq exited at its start (try: boxapp-netns stop, then boxapp-netns daemon, which "
          "shows its errors)");
  }
  return d;
}

}  // namespace boxnet
