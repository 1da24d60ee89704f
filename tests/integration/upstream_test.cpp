// The bridge's way out (netns-helper/daemon/): boxes reach the host's loopback at
// 10.89.0.254 through the user-mode stack, which is started again when it dies. Traffic
// only to a server the test runs on the host's loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "harness.hpp"
#include "launcher_harness.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"
#include "util/unique_fd.hpp"

using namespace itest;

namespace {

// An HTTP server on 127.0.0.1 answering every request with `body`, until it is destroyed.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::string body) : body_(std::move(body)) {
    sock_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_in a = loopback_address(0);
    REQUIRE(::bind(sock_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(sock_.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    REQUIRE(::listen(sock_.get(), 8) == 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackServer() {
    ::shutdown(sock_.get(), SHUT_RDWR);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  void serve() {
    for (;;) {
      boxrt::unique_fd c(::accept4(sock_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!c) return;
      char req[2048];
      (void)!::read(c.get(), req, sizeof req);
      const std::string reply =
          "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(body_.size()) + "\r\n\r\n" + body_;
      (void)!::write(c.get(), reply.data(), reply.size());
    }
  }
  std::string body_;
  boxrt::unique_fd sock_;
  int port_ = 0;
  std::thread thread_;
};

std::string upstream_state() {
  return trimmed(
      boxrt::try_read_file(std::string(std::getenv("XDG_RUNTIME_DIR")) + "/boxapp/upstream")
          .value_or(""));
}

// The upstream's pid, from "up slirp4netns PID"; 0 while it is down.
pid_t upstream_pid() {
  const std::string s = upstream_state();
  return s.starts_with("up ") ? std::atoi(s.substr(s.rfind(' ') + 1).c_str()) : 0;
}

pid_t parent_of(pid_t pid) {
  const std::string stat =
      boxrt::try_read_file("/proc/" + std::to_string(pid) + "/stat").value_or("");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  return std::atoi(stat.c_str() + close + 4);  // ") S PPID"
}

template <class F>
bool eventually(F f, int ms = 5000) {
  for (int waited = 0; waited < ms; waited += 20) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return f();
}

// A box that asks the host's loopback server for its page (busybox nc: the reply, headers
// and all).
std::string fetcher(int port) {
  return "[app]\ncommand = \"sh\"\nargs = [\"-c\", \"printf 'GET / HTTP/1.0\\\\r\\\\n\\\\r\\\\n' | "
         "busybox nc -w 3 10.89.0.254 " +
         std::to_string(port) + "\"]\n[network]\nmode = \"bridge\"\n";
}

const char* kSleeper =
    "[app]\ncommand = \"sleep\"\nargs = [\"60\"]\n[network]\nmode = \"bridge\"\n";

// No holder answers on net.sock (a failed start left none behind).
bool boxnet_holder_gone() {
  return !contains(run_process({netns_bin(), "status"}).out, ": up, ");
}

bool served(const Result& r, const std::string& body) {
  return r.status == 0 && r.out.starts_with("HTTP/1.0 200 OK\r\n") &&
         r.out.ends_with("\r\n\r\n" + body);
}

}  // namespace

TEST_CASE("bridge upstream: a box fetches from the host's loopback at 10.89.0.254 (slirp4netns)") {
  LoopbackServer server("hello from the host's loopback\n");
  Launcher boxapp;
  boxapp.profile("fetch", fetcher(server.port()));
  Result got = boxapp({"run", "fetch"});
  CHECK(served(got, "hello from the host's loopback\n"));
  CHECK(got.err == "");
  Result status = run_process({netns_bin(), "status"});
  CHECK(contains(status.out, "upstream slirp4netns: up slirp4netns "));
  CHECK(contains(status.out, "the host's loopback: at 10.89.0.254 from boxes"));
  Result doctor = boxapp({"doctor"});
  CHECK(contains(doctor.out, "the way out: slirp4netns "));
}

TEST_CASE(
    "bridge upstream: the upstream killed is started again; the holder killed, the next box "
    "rebuilds") {
  LoopbackServer server("still here\n");
  Launcher boxapp;
  boxapp.profile("fetch", fetcher(server.port()));
  REQUIRE(served(boxapp({"run", "fetch"}), "still here\n"));
  const pid_t first = upstream_pid();
  REQUIRE(first > 0);
  ::kill(first, SIGKILL);
  // The keeper starts it again after a second's pause.
  CHECK(eventually([&] { return upstream_pid() > 0 && upstream_pid() != first; }));
  CHECK(served(boxapp({"run", "fetch"}), "still here\n"));
  // The holder (the keeper's parent) killed: the keeper and the upstream go with it, and the next
  // box on the bridge starts all three anew, and puts the boxes still running back on it.
  const int port = free_loopback_port(SOCK_STREAM);
  boxapp.profile("survivor",
                 "[app]\ncommand = \"busybox\"\nargs = [\"nc\", \"-ll\", \"-p\", \"8080\", \"-e\", "
                 "\"echo\", \"survived\"]\n[network]\nmode = \"bridge\"\nports = [\"127.0.0.1:" +
                     std::to_string(port) + ":8080\"]\n");
  REQUIRE(boxapp({"run", "-d", "survivor"}).status == 0);
  const std::string survivor = trimmed(boxrt::read_file(Launcher::bundle_dir("survivor") + "/.ip"));
  const pid_t tool = upstream_pid(), keeper = parent_of(tool), holder = parent_of(keeper);
  REQUIRE(holder > 1);
  CHECK(boxrt::read_file("/proc/" + std::to_string(holder) + "/comm") == "boxapp-net\n");
  ::kill(holder, SIGKILL);
  CHECK(eventually([&] {
    auto st = boxrt::read_proc_stat(tool);
    return !st || st->state == 'Z';
  }));
  // Its eth0 went with the old bridge.
  CHECK(!contains(boxapp({"exec", "survivor", "busybox", "ip", "link"}).out, "eth0"));
  Result again = boxapp({"run", "fetch"});
  CHECK(served(again, "still here\n"));
  CHECK(again.err == "boxapp: warning: network: box `survivor` is back on the rebuilt bridge at " +
                         survivor + "\n");
  CHECK(upstream_pid() != tool);
  CHECK(contains(boxapp({"exec", "survivor", "busybox", "ip", "-4", "addr", "show", "eth0"}).out,
                 "inet " + survivor + "/24"));
  CHECK(boxapp({"exec", "survivor", "sh", "-c",
                "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 10.89.0.254 " +
                    std::to_string(server.port())})
            .out.ends_with("still here\n"));
  // Its published port too, asked of the new holder again.
  CHECK(contains(run_process({"/bin/sh", "-c",
                              "busybox nc -w 2 127.0.0.1 " + std::to_string(port) + " </dev/null"})
                     .out,
                 "survived"));
  CHECK(boxapp({"rm", "-f", "survivor"}).status == 0);
}

namespace {

// network.toml in a config home of the test's own. The holder reads it when it starts: it
// is stopped before and after, so that the test's boxes and the next test's see their own.
class NetworkToml {
 public:
  explicit NetworkToml(const std::string& text) {
    ::mkdir((dir_ / "boxapp").c_str(), 0700);
    std::ofstream(dir_ / "boxapp/network.toml") << text;
    stop();
  }
  ~NetworkToml() { stop(); }
  std::string env() const { return "XDG_CONFIG_HOME=" + dir_.path(); }
  std::string path() const { return dir_ / "boxapp/network.toml"; }
  Result netns(std::vector<std::string> args) const {
    args.insert(args.begin(), {"/usr/bin/env", env(), netns_bin()});
    return run_process(args);
  }

 private:
  void stop() const { run_process({netns_bin(), "stop", "--force"}); }
  testing::TempDir dir_;
};

}  // namespace

TEST_CASE("bridge upstream: pasta, chosen in network.toml, takes boxes to the host's loopback") {
  LoopbackServer server("through pasta\n");
  NetworkToml toml("upstream = \"pasta\"\n");
  Launcher boxapp;
  boxapp.env(toml.env());
  // pasta (2023-03) passes no FIN back once the box has shut down its sending side: nc's
  // stdin stays open here until the reply is in, as a browser's connection would.
  boxapp.profile(
      "fetch-pasta",
      "[app]\ncommand = \"sh\"\nargs = [\"-c\", \"{ printf 'GET / HTTP/1.0\\\\r\\\\n\\\\r\\\\n'; "
      "sleep 3; } | busybox nc 10.89.0.254 " +
          std::to_string(server.port()) + "\"]\n[network]\nmode = \"bridge\"\n");
  Result got = boxapp({"run", "fetch-pasta"});
  CHECK(served(got, "through pasta\n"));
  CHECK(contains(toml.netns({"status"}).out, "upstream pasta: up pasta "));
}

TEST_CASE("network.toml: a mistake stops a bridged box with its file:line:col, leaving nothing") {
  NetworkToml toml("subnet = \"10.89.0.0/24\"\nmtu = \"big\"\n");
  Launcher boxapp;
  boxapp.env(toml.env());
  boxapp.profile("bridged", "[app]\ncommand = \"true\"\n[network]\nmode = \"bridge\"\n");
  Result r = boxapp({"run", "bridged"});
  CHECK(r.status != 0);
  CHECK(r.err == "boxapp: " + toml.path() + ":2:7: mtu: expected an integer, not a string\n");
  CHECK(boxnet_holder_gone());
  for (const auto& b : json::parse(toml.netns({"ls", "--json"}).out))
    CHECK(b["name"] != "bridged");
  CHECK(boxapp({"ps", "--json"}).out == "[]\n");
}

TEST_CASE("network.toml: isolate = true keeps boxes from each other, not from the way out") {
  LoopbackServer server("isolated but out\n");
  NetworkToml toml("isolate = true\n");
  Launcher boxapp;
  boxapp.env(toml.env());
  boxapp.profile("bridged", kSleeper);
  boxapp.profile("fetch-iso", fetcher(server.port()));
  REQUIRE(boxapp({"run", "-d", "--name", "iso-one", "bridged"}).status == 0);
  REQUIRE(boxapp({"run", "-d", "--name", "iso-two", "bridged"}).status == 0);
  const std::string two = boxrt::read_file(Launcher::bundle_dir("iso-two") + "/.ip");
  REQUIRE(boxapp({"exec", "-d", "iso-two", "busybox", "nc", "-l", "-p", "9000"}).status == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // Dropped on the bridge: no connection, no refusal either, until nc gives up.
  Result across = boxapp({"exec", "iso-one", "sh", "-c",
                          "echo hi | busybox nc -w 2 " + two.substr(0, two.find('\n')) + " 9000"});
  CHECK(across.status != 0);
  CHECK(contains(across.err, "timed out"));
  CHECK(served(boxapp({"run", "fetch-iso"}), "isolated but out\n"));
  CHECK(boxapp({"rm", "-f", "iso-one", "iso-two"}).status == 0);
}

TEST_CASE("[network] isolate = true: that box and no other is kept from the other boxes") {
  LoopbackServer server("alone but out\n");
  Launcher boxapp;
  boxapp.profile("bridged", kSleeper);
  boxapp.profile("loner", std::string(kSleeper) + "isolate = true\n");
  REQUIRE(boxapp({"run", "-d", "--name", "open-one", "bridged"}).status == 0);
  REQUIRE(boxapp({"run", "-d", "--name", "open-two", "bridged"}).status == 0);
  REQUIRE(boxapp({"run", "-d", "--name", "loner", "loner"}).status == 0);
  for (const std::string box : {"open-two", "loner"})
    REQUIRE(boxapp({"exec", "-d", box, "sh", "-c", "busybox nc -ll -p 9002 -e echo up"}).status ==
            0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto reach = [&](const std::string& from, const std::string& to) {
    return boxapp({"exec", from, "sh", "-c", "busybox nc -w 2 " + to + " 9002 </dev/null"}).out ==
           "up\n";
  };
  CHECK(reach("open-one", "open-two"));
  CHECK(!reach("open-one", "loner"));
  CHECK(!reach("loner", "open-two"));
  // Its way out stays.
  CHECK(boxapp({"exec", "loner", "sh", "-c",
                "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 10.89.0.254 " +
                    std::to_string(server.port())})
            .out.ends_with("alone but out\n"));
  // Gone with the box: the next box on its address is open again.
  const std::string ip = trimmed(boxrt::read_file(Launcher::bundle_dir("loner") + "/.ip"));
  CHECK(boxapp({"rm", "-f", "loner"}).status == 0);
  REQUIRE(boxapp({"run", "-d", "--name", "loner", "bridged"}).status == 0);
  CHECK(trimmed(boxrt::read_file(Launcher::bundle_dir("loner") + "/.ip")) == ip);
  REQUIRE(boxapp({"exec", "-d", "loner", "sh", "-c", "busybox nc -ll -p 9002 -e echo up"}).status ==
          0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(reach("open-one", "loner"));
  CHECK(boxapp({"rm", "-f", "open-one", "open-two", "loner"}).status == 0);
}

TEST_CASE("network.toml: a subnet over one of the host's routes is refused, naming both") {
  // The host's first route but the default, from /proc/net/route (hex, little-endian).
  std::ifstream routes("/proc/net/route");
  std::string line, host_route;
  std::getline(routes, line);
  while (host_route.empty() && std::getline(routes, line)) {
    char dev[32];
    unsigned dst, gw, flags, refcnt, use, metric, mask;
    if (std::sscanf(line.c_str(), "%31s %x %x %x %u %u %u %x", dev, &dst, &gw, &flags, &refcnt,
                    &use, &metric, &mask) == 8 &&
        mask != 0 && mask != 0xffffffff) {
      const uint32_t d = ntohl(dst), m = ntohl(mask);
      const int prefix = __builtin_popcount(m);
      host_route = std::to_string(d >> 24) + "." + std::to_string((d >> 16) & 255) + "." +
                   std::to_string((d >> 8) & 255) + "." + std::to_string(d & 255) + "/" +
                   std::to_string(prefix);
    }
  }
  if (host_route.empty()) {
    WARN("this host has no route but the default: nothing to overlap");
    return;
  }
  NetworkToml toml("subnet = \"" + host_route + "\"\n");
  Launcher boxapp;
  boxapp.env(toml.env());
  boxapp.profile("bridged", "[app]\ncommand = \"true\"\n[network]\nmode = \"bridge\"\n");
  Result r = boxapp({"run", "bridged"});
  CHECK(r.status != 0);
  CHECK(
      contains(r.err, "the subnet " + host_route + " overlaps the host's route to " + host_route));
  CHECK(boxnet_holder_gone());
  CHECK(boxapp({"ps", "--json"}).out == "[]\n");
}

TEST_CASE("bridge DNS: a box reaches another by NAME and NAME.box through dnsmasq") {
  Launcher boxapp;
  boxapp.profile("bridged", kSleeper);
  REQUIRE(boxapp({"run", "-d", "--name", "dns-one", "bridged"}).status == 0);
  REQUIRE(boxapp({"run", "-d", "--name", "dns-two", "bridged"}).status == 0);
  const std::string two = trimmed(boxrt::read_file(Launcher::bundle_dir("dns-two") + "/.ip"));
  // Its own resolv.conf and hosts, over the host image's.
  CHECK(boxapp({"exec", "dns-one", "cat", "/etc/resolv.conf"}).out ==
        "nameserver 10.89.0.1\nsearch box\n");
  CHECK(contains(boxapp({"exec", "dns-two", "cat", "/etc/hosts"}).out,
                 two + "\tdns-two dns-two.box bridged\n"));
  for (const std::string name : {"dns-two", "dns-two.box"}) {
    Result r = boxapp({"exec", "dns-one", "busybox", "nslookup", name});
    CHECK(contains(r.out, "Address: " + two));
  }
  CHECK(contains(boxapp({"exec", "dns-one", "busybox", "nslookup", "host.box"}).out,
                 "Address: 10.89.0.254"));
  // By name over TCP, as the two boxes do.
  REQUIRE(
      boxapp({"exec", "-d", "dns-two", "sh", "-c", "busybox nc -l -p 9001 > /tmp/got"}).status ==
      0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(boxapp({"exec", "dns-one", "sh", "-c", "echo by-name | busybox nc -w 2 dns-two 9001"})
            .status == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(boxapp({"exec", "dns-two", "cat", "/tmp/got"}).out == "by-name\n");
  // A name nobody has is an answer of dnsmasq's, never a query sent on.
  CHECK(contains(boxapp({"exec", "dns-one", "busybox", "nslookup", "nobody.box"}).out +
                     boxapp({"exec", "dns-one", "busybox", "nslookup", "nobody.box"}).err,
                 "NXDOMAIN"));
  CHECK(boxapp({"rm", "-f", "dns-one", "dns-two"}).status == 0);
  // rm took its name out of DNS at once (gc would too).
  CHECK(!boxrt::path_exists(std::string(std::getenv("XDG_RUNTIME_DIR")) + "/boxapp/hosts/" + two));
  CHECK(contains(run_process({netns_bin(), "gc"}).out, "freed"));
}

TEST_CASE("bridge DNS: a detached box that ends on its own leaves DNS within seconds") {
  Launcher boxapp;
  boxapp.profile("brief",
                 "[app]\ncommand = \"sleep\"\nargs = [\"1\"]\n[network]\nmode = \"bridge\"\n");
  REQUIRE(boxapp({"run", "-d", "brief"}).status == 0);
  const std::string ip = trimmed(boxrt::read_file(Launcher::bundle_dir("brief") + "/.ip"));
  const std::string hosts = std::string(std::getenv("XDG_RUNTIME_DIR")) + "/boxapp/hosts/";
  CHECK(boxrt::path_exists(hosts + ip));
  // No rm, no gc: the holder's own check takes the name out (every 5 s).
  CHECK(eventually([&] { return !boxrt::path_exists(hosts + ip); }, 9000));
  CHECK(boxrt::path_exists(hosts + "10.89.0.254"));  // host.box stays
  CHECK(boxapp({"rm", "brief"}).status == 0);
}

TEST_CASE("bridge: a box killed with SIGKILL frees its address, and gc takes its name out") {
  Launcher boxapp;
  boxapp.profile("bridged", kSleeper);
  REQUIRE(boxapp({"run", "-d", "--name", "killed", "bridged"}).status == 0);
  const std::string ip = trimmed(boxrt::read_file(Launcher::bundle_dir("killed") + "/.ip"));
  const std::string name_file = std::string(std::getenv("XDG_RUNTIME_DIR")) + "/boxapp/hosts/" + ip;
  CHECK(boxrt::path_exists(name_file));
  int pid = 0;
  for (const auto& b : json::parse(boxapp({"ps", "--json"}).out))
    if (b["name"] == "killed") pid = b["pid"];
  REQUIRE(pid > 0);
  ::kill(pid, SIGKILL);
  CHECK(eventually([&] { return !is_alive(pid); }));
  // Its lease is free from now on (its holder is gone); gc writes that down and withdraws
  // the name dnsmasq still had.
  CHECK(!contains(run_process({netns_bin(), "ls"}).out, "killed"));
  CHECK(run_process({netns_bin(), "gc"}).status == 0);
  CHECK(!boxrt::path_exists(name_file));
  CHECK(boxapp({"rm", "-f", "killed"}).status == 0);
}
