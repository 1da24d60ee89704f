// The bridge's address leases (netns-helper/net/leases.hpp): real files under flock, real
// processes as holders.
#include "net/leases.hpp"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <optional>
#include <set>

#include "test_support.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

using namespace boxnet;

namespace {

// XDG_STATE_HOME and XDG_RUNTIME_DIR for the test alone, restored after.
class StateHome {
 public:
  StateHome() {
    set("XDG_STATE_HOME", state_.path(), state_before_);
    set("XDG_RUNTIME_DIR", runtime_.path(), runtime_before_);
  }
  ~StateHome() {
    restore("XDG_STATE_HOME", state_before_);
    restore("XDG_RUNTIME_DIR", runtime_before_);
  }
  // A reboot: the runtime directory's files are gone, the state directory's stay.
  void reboot() const { std::filesystem::remove_all(runtime_.path() + "/boxapp"); }

 private:
  static void set(const char* var, const std::string& value, std::optional<std::string>& before) {
    if (const char* s = ::getenv(var)) before = s;
    ::setenv(var, value.c_str(), 1);
  }
  static void restore(const char* var, const std::optional<std::string>& before) {
    if (before)
      ::setenv(var, before->c_str(), 1);
    else
      ::unsetenv(var);
  }
  testing::TempDir state_, runtime_;
  std::optional<std::string> state_before_, runtime_before_;
};

}  // namespace

TEST_CASE("leases: 50 processes taking leases at once get 50 different addresses") {
  StateHome home;
  const NetworkConfig c;
  int ready[2];
  REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
  std::vector<pid_t> kids;
  for (int i = 0; i < 50; ++i) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(ready[1]);  // the EOF that says go is the parent's to give
      char go;
      (void)!::read(ready[0], &go, 1);  // all at once
      try {
        take_lease(c, "box" + std::to_string(i), holder_of(::getppid()));
        ::_exit(0);
      } catch (const std::exception&) {
        ::_exit(1);
      }
    }
    kids.push_back(pid);
  }
  ::close(ready[0]);
  ::close(ready[1]);  // EOF: go
  for (pid_t k : kids) {
    int st = 0;
    ::waitpid(k, &st, 0);
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
  }
  std::set<uint32_t> ips;
  for (const auto& l : list_leases()) {
    CHECK(l.held());  // held for this (live) test process
    CHECK(c.subnet.contains(l.ip));
    CHECK(l.ip != c.gateway);
    CHECK(l.ip != host_address(c));
    ips.insert(l.ip.value);
  }
  CHECK(ips.size() == 50);
}

TEST_CASE("leases: a name keeps its address; a gone holder frees it; a full subnet says so") {
  StateHome home;
  NetworkConfig c;
  c.subnet = *Subnet::parse("10.89.7.0/30");  // room for the gateway and one box
  c.gateway = *Ipv4::parse("10.89.7.1");
  c.host_loopback = false;  // which would take the last address, .2
  const Holder me = holder_of(::getpid());
  const Lease a = take_lease(c, "a", me);
  CHECK(a.ip.str() == "10.89.7.2");
  CHECK_THROWS_WITH(take_lease(c, "a", me),
                    "network: `a` is attached already, as 10.89.7.2 (process " +
                        std::to_string(::getpid()) + ")");
  CHECK_THROWS_WITH(take_lease(c, "b", me),
                    "network: the subnet 10.89.7.0/30 is full (1 boxes attached): stop one, or "
                    "give network.toml a larger subnet");
  release_lease("a");
  CHECK(take_lease(c, "a", me).ip == a.ip);
  // A holder that has exited counts as gone: its lease is collected, and another name may
  // take the address when no other is left.
  pid_t kid = ::fork();
  if (kid == 0) ::_exit(0);
  const Holder gone = holder_of(kid);
  ::waitpid(kid, nullptr, 0);
  release_lease("a");
  take_lease(c, "a", gone);
  CHECK(collect_leases() == 1);
  CHECK(take_lease(c, "b", me).ip == a.ip);
  // After a reboot (no runtime directory), the names keep their addresses: b's, and a gets
  // none other, as the subnet is full.
  release_lease("b");
  home.reboot();
  CHECK(take_lease(c, "b", me).ip == a.ip);
}

TEST_CASE("leases: attach --ip takes that address, from another name's free lease if need be") {
  StateHome home;
  NetworkConfig c;
  c.subnet = *Subnet::parse("10.89.8.0/24");
  c.gateway = *Ipv4::parse("10.89.8.1");
  const Holder me = holder_of(::getpid());
  const Ipv4 fifty = *Ipv4::parse("10.89.8.50");
  CHECK(take_lease(c, "x", me, fifty).ip == fifty);
  CHECK_THROWS_WITH(take_lease(c, "y", me, fifty),
                    "network: 10.89.8.50 is `x`'s (process " + std::to_string(::getpid()) + ")");
  CHECK_THROWS_WITH(take_lease(c, "y", me, *Ipv4::parse("10.89.8.1")),
                    "network: 10.89.8.1 is no address for a box on 10.89.8.0/24 (10.89.8.1 is the "
                    "gateway, 10.89.8.254 the host's loopback)");
  CHECK_THROWS_WITH(take_lease(c, "y", me, *Ipv4::parse("10.89.9.5")),
                    "network: 10.89.9.5 is no address for a box on 10.89.8.0/24 (10.89.8.1 is the "
                    "gateway, 10.89.8.254 the host's loopback)");
  // x gone: y may have its address, and x then gets another.
  release_lease("x");
  CHECK(take_lease(c, "y", me, fifty).ip == fifty);
  const Lease x = take_lease(c, "x", me);
  CHECK(!(x.ip == fifty));
  // A name asking for another address moves there.
  release_lease("x");
  CHECK(take_lease(c, "x", me, *Ipv4::parse("10.89.8.60")).ip.str() == "10.89.8.60");
}
