// The bridge's way out (netns-helper/daemon/): boxes reach the host's loopback at
// 10.89.0.254 through the user-mode stack, which is started again when it dies. Traffic
// only to a server the test runs on the host's loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
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
    struct sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
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
  std::string s =
      boxrt::try_read_file(std::string(std::getenv("XDG_RUNTIME_DIR")) + "/boxapp/upstream")
          .value_or("");
  while (!s.empty() && s.back() == '\n')
    s.pop_back();
  return s;
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
  // box on the bridge starts all three anew.
  const pid_t tool = upstream_pid(), keeper = parent_of(tool), holder = parent_of(keeper);
  REQUIRE(holder > 1);
  CHECK(boxrt::read_file("/proc/" + std::to_string(holder) + "/comm") == "boxapp-net\n");
  ::kill(holder, SIGKILL);
  CHECK(eventually([&] {
    auto st = boxrt::read_proc_stat(tool);
    return !st || st->state == 'Z';
  }));
  Result again = boxapp({"run", "fetch"});
  CHECK(served(again, "still here\n"));
  CHECK(again.err == "");
  CHECK(upstream_pid() != tool);
}
