// Published ports (net/ports.hpp, daemon/forwarder.hpp): a box's TCP and UDP ports reached
// from the host's own network namespace, a taken port refused before the box starts, and
// the ports gone with the box. Traffic only on the host's loopback and the test's bridge.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "harness.hpp"
#include "launcher_harness.hpp"
#include "util/sys.hpp"
#include "util/unique_fd.hpp"

using namespace itest;

namespace {

using boxrt::unique_fd;

// A box serving TCP 8080 (it reads to the end, then says how much it got and from where)
// and UDP 5353 (an echo), in the host image's python3.
const char* kServer = R"([app]
command = "python3"
args = ["-c", '''
import socket, threading
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("", 8080))
t.listen(16)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("", 5353))
def udp():
    while True:
        d, a = u.recvfrom(2048)
        u.sendto(b"udp " + d, a)
threading.Thread(target=udp, daemon=True).start()
while True:
    c, a = t.accept()
    n = 0
    while True:
        d = c.recv(65536)
        if not d:
            break
        n += len(d)
    c.sendall(b"tcp %d from %s" % (n, a[0].encode()))
    c.close()
''']
[network]
mode = "bridge"
)";

bool wait_readable(int fd, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

// Sends `bytes` bytes to 127.0.0.1:port, half-closes, and reads the reply to its end;
// nullopt when no connection is made or nothing comes back.
std::optional<std::string> tcp_send(int port, size_t bytes) {
  unique_fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a = loopback_address(port);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return std::nullopt;
  const std::string chunk(65536, 'x');
  for (size_t sent = 0; sent < bytes;) {
    const ssize_t n = ::send(s.get(), chunk.data(), std::min(chunk.size(), bytes - sent), 0);
    if (n <= 0) return std::nullopt;
    sent += static_cast<size_t>(n);
  }
  ::shutdown(s.get(), SHUT_WR);
  std::string reply;
  char buf[256];
  while (wait_readable(s.get(), 5000)) {
    const ssize_t n = ::recv(s.get(), buf, sizeof buf, 0);
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  if (reply.empty()) return std::nullopt;
  return reply;
}

std::optional<std::string> udp_ask(int port, const std::string& text) {
  unique_fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in a = loopback_address(port);
  ::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
  for (int attempt = 0; attempt < 10; ++attempt) {
    ::send(s.get(), text.data(), text.size(), 0);
    if (!wait_readable(s.get(), 300)) continue;
    char buf[256];
    const ssize_t n = ::recv(s.get(), buf, sizeof buf, 0);
    if (n > 0) return std::string(buf, static_cast<size_t>(n));
  }
  return std::nullopt;
}

// The box's server answers once python3 is up.
std::optional<std::string> tcp_when_up(int port, size_t bytes) {
  for (int i = 0; i < 100; ++i) {
    if (auto r = tcp_send(port, bytes)) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

std::string ports_of(const std::string& name) {
  for (const auto& b : json::parse(run_process({netns_bin(), "ls", "--json"}).out))
    if (b["name"] == name) return b["ports"].dump();
  return "";
}

}  // namespace

TEST_CASE("published ports: the host reaches a box's TCP and UDP ports; they end with the box") {
  Launcher boxapp;
  const int tcp = free_loopback_port(SOCK_STREAM), udp = free_loopback_port(SOCK_DGRAM);
  boxapp.profile("server", std::string(kServer) + "ports = [\"127.0.0.1:" + std::to_string(tcp) +
                               ":8080\"]\n");
  REQUIRE(boxapp({"run", "-d", "-p", "127.0.0.1:" + std::to_string(udp) + ":5353/udp", "server"})
              .status == 0);
  // 8 MiB through, the half-close passed on, the reply back: from the bridge's gateway.
  CHECK(tcp_when_up(tcp, 8 << 20) == "tcp 8388608 from 10.89.0.1");
  CHECK(tcp_send(tcp, 0) == "tcp 0 from 10.89.0.1");
  CHECK(udp_ask(udp, "ping") == "udp ping");
  CHECK(ports_of("server") == "[\"127.0.0.1:" + std::to_string(tcp) + "->8080/tcp\",\"127.0.0.1:" +
                                  std::to_string(udp) + "->5353/udp\"]");
  // Ten clients at once, each with its own connection.
  std::vector<std::thread> clients;
  std::vector<std::optional<std::string>> got(10);
  for (size_t i = 0; i < got.size(); ++i)
    clients.emplace_back([&, i] { got[i] = tcp_send(tcp, 1000 * (i + 1)); });
  for (auto& t : clients)
    t.join();
  for (size_t i = 0; i < got.size(); ++i)
    CHECK(got[i] == "tcp " + std::to_string(1000 * (i + 1)) + " from 10.89.0.1");
  REQUIRE(boxapp({"rm", "-f", "server"}).status == 0);
  // Gone with the box's init: the port is free on the host again, for anyone.
  CHECK(!tcp_send(tcp, 1));
  CHECK(ports_of("server") == "");
  unique_fd again(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a = loopback_address(tcp);
  // SO_REUSEADDR: the test's own connections may leave TIME_WAIT behind; only a listener
  // still there refuses the bind.
  const int yes = 1;
  ::setsockopt(again.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  CHECK(::bind(again.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
}

TEST_CASE("published ports: a port taken on the host stops the box before it starts") {
  Launcher boxapp;
  unique_fd taken(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a = loopback_address(0);
  REQUIRE(::bind(taken.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(taken.get(), 1) == 0);
  socklen_t len = sizeof a;
  ::getsockname(taken.get(), reinterpret_cast<sockaddr*>(&a), &len);
  const std::string port = std::to_string(ntohs(a.sin_port));
  boxapp.profile("server", kServer);
  Result r = boxapp({"run", "-d", "-p", "127.0.0.1:" + port + ":8080", "server"});
  CHECK(r.status != 0);
  CHECK(r.err == "boxapp: port 127.0.0.1:" + port +
                     "/tcp is taken on the host (by another box or program): publish another "
                     "host port\n");
  CHECK(boxapp({"ps", "-a", "--json"}).out == "[]\n");
  CHECK(!boxrt::path_exists(Launcher::bundle_dir("server")));
  CHECK(ports_of("server") == "");
  // Nor another box's.
  const int tcp = free_loopback_port(SOCK_STREAM);
  const std::string p = "127.0.0.1:" + std::to_string(tcp) + ":8080";
  REQUIRE(boxapp({"run", "-d", "--name", "first", "-p", p, "server"}).status == 0);
  Result second = boxapp({"run", "-d", "--name", "second", "-p", p, "server"});
  CHECK(second.status != 0);
  CHECK(contains(second.err, "is taken on the host"));
  CHECK(!contains(run_process({netns_bin(), "ls"}).out, "second"));
  CHECK(boxapp({"rm", "-f", "first"}).status == 0);
}

TEST_CASE("published ports: bad ports are refused with where they are and what is wrong") {
  Launcher boxapp;
  boxapp.profile("bad",
                 "[app]\ncommand = \"true\"\n[network]\nmode = \"bridge\"\n"
                 "ports = [\"8080:80\", \"8080:http\"]\n");
  Result r = boxapp({"run", "bad"});
  CHECK(r.status != 0);
  CHECK(contains(r.err, boxapp.file("bad") +
                            ":5:21: network.ports[1]: port `8080:http`: `http` is not "
                            "a port (1-65535)"));
  boxapp.profile("hostnet", "[app]\ncommand = \"true\"\n[network]\nmode = \"host\"\n");
  Result host = boxapp({"run", "-p", "8080:80", "hostnet"});
  CHECK(host.status != 0);
  CHECK(host.err ==
        "boxapp: run -p: `hostnet`'s profile has no [network] mode = \"bridge\", "
        "which published ports need\n");
  boxapp.profile("ok", "[app]\ncommand = \"true\"\n[network]\nmode = \"bridge\"\n");
  Result low = boxapp({"run", "-p", "80:80", "ok"});
  CHECK(low.status != 0);
  CHECK(contains(low.err,
                 "port 0.0.0.0:80/tcp is below the host's "
                 "net.ipv4.ip_unprivileged_port_start"));
  CHECK(boxapp({"ps", "-a", "--json"}).out == "[]\n");
}

TEST_CASE("published ports: run -P publishes what the box's image exposes on free host ports") {
  const char* stage = std::getenv("BOXAPP_STAGE");
  REQUIRE(stage);
  testing::TempDir work;
  // Its config exposes 8080/tcp (tests/data/images/make_layout.py).
  REQUIRE(run_process({"/usr/bin/python3", std::string(stage) + "/make_layout.py", work / "img"})
              .status == 0);
  Launcher boxapp;
  boxapp.profile("exposed",
                 "[app]\ncommand = \"/bin/sh\"\nargs = [\"-c\", \"mkdir /tmp/w && "
                 "echo served > /tmp/w/index.html && exec busybox httpd -f -p 8080 "
                 "-h /tmp/w\"]\n[image]\ntype = \"oci\"\nlayout = \"" +
                     work / "img" + "\"\n[network]\nmode = \"bridge\"\n");
  Result r = boxapp({"run", "-d", "-P", "exposed"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const json ports = json::parse(ports_of("exposed"));
  REQUIRE(ports.size() == 1);
  const std::string shown = ports[0];
  // "0.0.0.0:PORT->8080/tcp": every address, as podman -P binds.
  REQUIRE(shown.rfind("0.0.0.0:", 0) == 0);
  CHECK(shown.substr(shown.find("->")) == "->8080/tcp");
  const std::string port = shown.substr(8, shown.find("->") - 8);
  std::string got;
  for (int i = 0; i < 100 && !contains(got, "served"); ++i) {
    got = run_process({"/bin/bash", "-c",
                       "exec 3<>/dev/tcp/127.0.0.1/" + port +
                           " && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3"})
              .out;
    if (!contains(got, "served")) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(contains(got, "\r\n\r\nserved\n"));
  CHECK(boxapp({"rm", "-f", "exposed"}).status == 0);

  // A box without a bridge has nowhere to publish them.
  boxapp.profile("unbridged",
                 "[app]\n[image]\ntype = \"oci\"\nlayout = \"" + work / "img" + "\"\n");
  Result none = boxapp({"run", "-P", "unbridged"});
  CHECK(none.status != 0);
  CHECK(contains(none.err, "run -P: `unbridged`'s profile has no [network] mode = \"bridge\""));
}
