#include "daemon/upstream.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "daemon/child.hpp"
#include "util/error.hpp"
#include "util/fd_passing.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxnet {
namespace {

using boxrt::unique_fd;

constexpr unsigned kMaxPauseSeconds = 60;

// The last line the stack wrote before it ended, without pasta's complaints that it has no
// syslog to write to.
std::string last_words(const std::string& err) {
  std::string last;
  size_t at = 0;
  while (at < err.size()) {
    size_t end = err.find('\n', at);
    if (end == err.npos) end = err.size();
    std::string line = err.substr(at, end - at);
    if (!line.empty() && !line.starts_with("Failed to send")) last = line;
    at = end + 1;
  }
  return last;
}

std::string exit_reason(int status, const std::string& err) {
  std::string why = WIFSIGNALED(status)
                        ? "killed by signal " + std::to_string(WTERMSIG(status))
                        : "exited with status " + std::to_string(WEXITSTATUS(status));
  const std::string said = last_words(err);
  return said.empty() ? why : why + ": " + said;
}

// Runs the stack once, until it ends; what ended it.
std::string run_once(const NetworkConfig& c, int ns_fd, int sock) {
  int err[2];
  if (::pipe2(err, O_CLOEXEC) != 0) return "pipe: " + std::string(strerror(errno));
  unique_fd err_r(err[0]), err_w(err[1]);
  const std::vector<std::string> args = upstream_argv(c, ns_fd);
  pid_t pid = ::fork();
  if (pid < 0) return "fork: " + std::string(strerror(errno));
  if (pid == 0) {
    ::dup2(err_w.get(), 2);
    ::fcntl(ns_fd, F_SETFD, 0);  // named by /proc/self/fd/NS_FD on its command line
    exec_helper(args);
    std::fprintf(stderr, "%s: %s (install the Debian package %s)\n", args[0].c_str(),
                 strerror(errno), c.upstream == Upstream::pasta ? "passt" : "slirp4netns");
    ::_exit(127);
  }
  err_w.reset();
  boxrt::send_message(sock, "start " + std::to_string(pid));
  std::string said;
  char buf[512];
  ssize_t n;
  while ((n = boxrt::retry_eintr([&] { return ::read(err_r.get(), buf, sizeof buf); })) > 0) {
    said.append(buf, static_cast<size_t>(n));
    if (said.size() > 4096) said.erase(0, said.size() - 4096);
  }
  int status = 0;
  boxrt::retry_eintr([&] { return ::waitpid(pid, &status, 0); });
  return exit_reason(status, said);
}

[[noreturn]] void keeper_main(const NetworkConfig& c, int sock) {
  boxrt::set_process_title("boxapp-net-up");
  int ns = boxrt::receive_fd_raw(sock);
  if (ns < 0) ::_exit(0);  // the holder failed before it had a namespace
  for (unsigned pause = 1;; pause = std::min(pause * 2, kMaxPauseSeconds)) {
    const std::string why = run_once(c, ns, sock);
    if (!boxrt::send_message(sock, "exit " + why)) ::_exit(0);
    ::sleep(pause);
  }
}

}  // namespace

std::vector<std::string> upstream_argv(const NetworkConfig& c, int ns_fd) {
  const std::string ns = "/proc/self/fd/" + std::to_string(ns_fd);
  const UpstreamLink& l = kUpstreamLink;
  const std::string mtu = std::to_string(c.mtu);
  if (c.upstream == Upstream::slirp4netns) {
    // Its own mount namespace and a seccomp filter: a compromised stack sees little of the
    // host and can call less of the kernel.
    std::vector<std::string> a = {
        "slirp4netns",      "--configure",      "--mtu=" + mtu,     "--cidr=" + l.subnet.str(),
        "--enable-sandbox", "--enable-seccomp", "--netns-type=path"};
    if (!c.host_loopback) a.push_back("--disable-host-loopback");
    a.insert(a.end(), {ns, kUpstreamInterface});
    return a;
  }
  std::vector<std::string> a = {
      "pasta", "--foreground", "--quiet", "--netns", ns, "--netns-only", "--config-net",
      "--ns-ifname", kUpstreamInterface, "--ipv4-only", "--mtu", mtu, "--address", l.self.str(),
      "--netmask", std::to_string(l.subnet.prefix), "--gateway", l.host_loopback.str(),
      "--dns-forward", l.dns.str(),
      // No port of pasta's own: it would forward every port bound in the namespace.
      "-t", "none", "-u", "none", "-T", "none", "-U", "none"};
  if (!c.host_loopback) a.push_back("--no-map-gw");
  return a;
}

Keeper start_keeper(const NetworkConfig& c) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    boxrt::throw_errno("socketpair");
  unique_fd ours(sv[0]), theirs(sv[1]);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) boxrt::throw_errno("fork");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(0);  // the holder died before we could watch it
    // Nothing of the holder's: its starter waits for EOF on the pipe the holder was given.
    if (::dup2(theirs.get(), 3) != 3) ::_exit(1);
    ::close_range(4, ~0U, 0);
    keeper_main(c, 3);
  }
  return {pid, std::move(ours)};
}

}  // namespace boxnet
