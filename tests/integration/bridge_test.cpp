// [network] mode = "bridge" and boxapp-netns (netns-helper/): boxes on the session's bridge,
// each with its address, reaching each other; traffic only inside namespaces the test made.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <set>
#include <sstream>
#include <thread>

#include "harness.hpp"
#include "launcher_harness.hpp"
#include "util/sys.hpp"

using namespace itest;

namespace {

const char* kBridged = R"([app]
command = "sleep"
args = ["60"]
[network]
mode = "bridge"
)";

Result netns(std::vector<std::string> args) {
  args.insert(args.begin(), netns_bin());
  return run_process(args);
}

std::string ip_of(const Launcher& boxapp, const std::string& name) {
  for (const auto& b : json::parse(boxapp({"ps", "--json"}).out))
    if (b["name"] == name) return b.value("ip", "");
  return "";
}

}  // namespace

TEST_CASE("bridge: two boxes get addresses of their own and reach each other over TCP") {
  Launcher boxapp;
  boxapp.profile("bridged", kBridged);
  REQUIRE(boxapp({"run", "-d", "--name", "br-one", "bridged"}).status == 0);
  REQUIRE(boxapp({"run", "-d", "--name", "br-two", "bridged"}).status == 0);
  const std::string one = ip_of(boxapp, "br-one"), two = ip_of(boxapp, "br-two");
  CHECK(one.rfind("10.89.0.", 0) == 0);
  CHECK(two.rfind("10.89.0.", 0) == 0);
  CHECK(one != two);
  // As the 2016 netns hook did: the address in the bundle's .ip.
  CHECK(trimmed(boxrt::read_file(Launcher::bundle_dir("br-one") + "/.ip")) == one);
  // eth0 inside has it, and the default route goes through the bridge's gateway.
  Result addr = boxapp({"exec", "br-one", "busybox", "ip", "-4", "addr", "show", "eth0"});
  CHECK(contains(addr.out, "inet " + one + "/24"));
  CHECK(contains(boxapp({"exec", "br-one", "busybox", "ip", "route"}).out,
                 "default via 10.89.0.1 dev eth0"));
  // TCP from one to the other, by address.
  REQUIRE(boxapp({"exec", "-d", "br-two", "sh", "-c", "busybox nc -l -p 9000 > /tmp/got"}).status ==
          0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Result sent = boxapp(
      {"exec", "br-one", "sh", "-c", "echo across-the-bridge | busybox nc -w 2 " + two + " 9000"});
  CHECK(sent.status == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(boxapp({"exec", "br-two", "cat", "/tmp/got"}).out == "across-the-bridge\n");
  // boxapp-netns lists both, with their links on the bridge.
  json listed = json::parse(netns({"ls", "--json"}).out);
  int ours = 0;
  for (const auto& b : listed)
    if (b["name"] == "br-one" || b["name"] == "br-two") ++ours;
  CHECK(ours == 2);
  // doctor says the bridge is up, and its way out.
  Result doctor = boxapp({"doctor"});
  CHECK(contains(doctor.out, "bridge boxapp0 10.89.0.0/24: "));
  CHECK(contains(doctor.out, "the way out: slirp4netns "));
  CHECK(boxapp({"rm", "-f", "br-one", "br-two"}).status == 0);
  // Their leases are free once the boxes are gone; the next br-one has the same address.
  for (const auto& b : json::parse(netns({"ls", "--json"}).out))
    CHECK(b["name"] != "br-one");
  REQUIRE(boxapp({"run", "-d", "--name", "br-one", "bridged"}).status == 0);
  CHECK(ip_of(boxapp, "br-one") == one);
  CHECK(boxapp({"rm", "-f", "br-one"}).status == 0);
}

TEST_CASE("bridge: boxes reach each other by name over UDP and ping; eth0's MAC is its address's") {
  Launcher boxapp;
  boxapp.profile("bridged", kBridged);
  REQUIRE(boxapp({"run", "-d", "--name", "udp-one", "bridged"}).status == 0);
  REQUIRE(boxapp({"run", "-d", "--name", "udp-two", "bridged"}).status == 0);
  const std::string two = ip_of(boxapp, "udp-two");
  // UDP echo in the host image's python3, asked by name.
  REQUIRE(boxapp({"exec", "-d", "udp-two", "python3", "-c",
                  "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                  "s.bind(('', 9003))\nwhile True:\n    d, a = s.recvfrom(512)\n"
                  "    s.sendto(b'echo ' + d, a)\n"})
              .status == 0);
  Result udp =
      boxapp({"exec", "udp-one", "python3", "-c",
              "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
              "s.settimeout(0.5)\nfor _ in range(10):\n    s.sendto(b'hi', ('udp-two', 9003))\n"
              "    try:\n        print(s.recv(512).decode()); break\n"
              "    except socket.timeout:\n        pass\n"});
  CHECK(udp.out == "echo hi\n");
  // ping (iputils) as the box's user: ICMP echo sockets, which ping_group_range allows.
  for (const std::string& to : std::vector<std::string>{"udp-two", "udp-two.box", two}) {
    Result ping = boxapp({"exec", "udp-one", "ping", "-c", "1", "-W", "2", to});
    CHECK(ping.status == 0);
    CHECK(contains(ping.out, "1 received"));
  }
  // Its MAC is made of its address, as boxapp-netns ls says.
  unsigned a = 0, b = 0, c = 0, d = 0;
  REQUIRE(std::sscanf(two.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d) == 4);
  char mac[18];
  std::snprintf(mac, sizeof mac, "02:b0:%02x:%02x:%02x:%02x", a, b, c, d);
  CHECK(trimmed(boxapp({"exec", "udp-two", "cat", "/sys/class/net/eth0/address"}).out) == mac);
  for (const auto& l : json::parse(netns({"ls", "--json"}).out))
    if (l["name"] == "udp-two") CHECK(l["mac"] == mac);
  // The gateway keeps its MAC as boxes come and go (a bridge left to pick one takes its
  // lowest port's), so boxes keep their DNS and way out across others' starts.
  CHECK(boxapp({"exec", "udp-one", "ping", "-c", "1", "-W", "2", "10.89.0.1"}).status == 0);
  CHECK(contains(boxapp({"exec", "udp-one", "busybox", "ip", "neigh", "show", "10.89.0.1"}).out,
                 "lladdr 02:b0:0a:59:00:01"));
  for (int i = 0; i < 3; ++i) {
    REQUIRE(boxapp({"run", "-d", "--name", "udp-churn", "bridged"}).status == 0);
    REQUIRE(boxapp({"rm", "-f", "udp-churn"}).status == 0);
    CHECK(contains(boxapp({"exec", "udp-one", "busybox", "nslookup", "udp-two"}).out,
                   "Address: " + two));
  }
  CHECK(boxapp({"rm", "-f", "udp-one", "udp-two"}).status == 0);
}

TEST_CASE(
    "boxapp-netns attach: a process that doesn't exist is a clear error, and leaves no lease") {
  Result r = netns({"attach", "--pid", "999999", "--name", "ghost"});
  CHECK(r.status == 1);
  CHECK(contains(r.err, "boxapp-netns: attach: no process 999999 to attach"));
  for (const auto& b : json::parse(netns({"ls", "--json"}).out))
    CHECK(b["name"] != "ghost");
  CHECK(netns({"ip", "ghost"}).err == "boxapp-netns: no box `ghost` is attached\n");
}

TEST_CASE("boxapp-netns exec runs a command in the session's user namespace, saying its ids") {
  Result in = netns({"exec", "--", "cat", "/proc/self/uid_map"});
  CHECK(in.status == 0);
  // The session maps the user as 0 (docs/design.md): config.json ids under it are these.
  const std::string first = "0 " + std::to_string(own_uid()) + " 1";
  std::string line = in.out.substr(0, in.out.find('\n'));
  line.erase(0, line.find_first_not_of(' '));
  for (size_t at; (at = line.find("  ")) != std::string::npos;)
    line.erase(at, 1);
  CHECK(line == first);
  CHECK(contains(in.err, "boxapp-netns: in the session's user namespace: uid map " + first));
  Result none = netns({"exec"});
  CHECK(none.status == 1);
  CHECK(none.err ==
        "boxapp-netns: exec: give the command to run: boxapp-netns exec -- CMD "
        "[ARGS...]\n");
  CHECK(contains(netns({"status"}).out, "bridge boxapp0 10.89.0.0/24, gateway 10.89.0.1: "));
}

TEST_CASE("boxapp-netns: 50 attaches and detaches at once leave no veth, lease or name") {
  // 50 network namespaces of the session's (sleeps under boxapp-netns exec), attached and
  // detached by 50 boxapp-netns processes at once each way.
  const std::string n = "50";
  testing::TempDir dir;
  const std::string pids = dir / "pids";
  const std::string bin = netns_bin();
  Result r = run_process({"/bin/sh", "-c",
                          bin + " exec -- sh -c 'for i in $(seq " + n +
                              "); do unshare -n sleep 30 & echo $!; done' >" + pids +
                              " 2>/dev/null\n"
                              "sleep 0.5\n"
                              "for p in $(cat " +
                              pids + "); do " + bin +
                              " attach --pid $p --name many-$p >/dev/null & done; wait\n" + bin +
                              " ls --json\n"
                              "for p in $(cat " +
                              pids + "); do " + bin +
                              " detach --name many-$p & done; wait\n"
                              "kill $(cat " +
                              pids + ")\n"},
                         "", 60);
  CHECK(r.status == 0);
  const std::string listed = r.out.substr(0, r.out.find('\n'));
  int attached = 0;
  std::set<std::string> ips;
  for (const auto& b : json::parse(listed))
    if (b["name"].get<std::string>().starts_with("many-")) ++attached, ips.insert(b["ip"]);
  CHECK(attached == 50);
  CHECK(ips.size() == 50);  // no address twice
  for (const auto& b : json::parse(netns({"ls", "--json"}).out))
    CHECK(!b["name"].get<std::string>().starts_with("many-"));
  // No veth left on the bridge, no name left in DNS.
  const std::string status = netns({"status"}).out;
  const size_t at = status.find("holder: ");
  REQUIRE(at != std::string::npos);
  const std::string holder = status.substr(at + 8, status.find('\n', at) - at - 8);
  Result links = netns({"exec", "--", "nsenter", "--net=/proc/" + holder + "/ns/net",
                        std::getenv("BOXAPP_BUSYBOX"), "ip", "-o", "link"});
  CHECK(contains(links.out, "boxapp0"));  // the holder's namespace, read
  CHECK(!contains(links.out, "bx-"));
  for (const auto& ip : ips)
    CHECK(!boxrt::path_exists(std::string(std::getenv("XDG_RUNTIME_DIR")) + "/boxapp/hosts/" + ip));
}

namespace {

// The box's app: its init's child (the init itself is undumpable, closed to us).
std::string app_pid(const Launcher& boxapp, const std::string& name) {
  for (const auto& b : json::parse(boxapp({"ps", "--json"}).out))
    if (b["name"] == name) {
      const std::string init = std::to_string(b["pid"].get<int>());
      std::istringstream children(
          boxrt::try_read_file("/proc/" + init + "/task/" + init + "/children").value_or(""));
      std::string first;
      children >> first;
      return first;
    }
  return "";
}

}  // namespace

TEST_CASE("boxapp-netns attach --ip puts a box at that address; a live box's is refused") {
  Launcher boxapp;
  boxapp.profile("plain", "[app]\ncommand = \"sleep\"\nargs = [\"60\"]\n");
  REQUIRE(boxapp({"run", "-d", "--name", "ip-one", "plain"}).status == 0);
  REQUIRE(boxapp({"run", "-d", "--name", "ip-two", "plain"}).status == 0);
  const std::string one = app_pid(boxapp, "ip-one"), two = app_pid(boxapp, "ip-two");
  REQUIRE(!one.empty());
  REQUIRE(!two.empty());
  Result a = netns({"attach", "--pid", one, "--name", "ip-one", "--ip", "10.89.0.77"});
  INFO(a.err);
  CHECK(a.out == "10.89.0.77\n");
  CHECK(contains(boxapp({"exec", "ip-one", "busybox", "ip", "-4", "addr", "show", "eth0"}).out,
                 "inet 10.89.0.77/24"));
  Result b = netns({"attach", "--pid", two, "--name", "ip-two", "--ip", "10.89.0.77"});
  CHECK(b.status != 0);
  CHECK(b.err == "boxapp-netns: network: 10.89.0.77 is `ip-one`'s (process " + one + ")\n");
  Result bad = netns({"attach", "--pid", two, "--name", "ip-two", "--ip", "10.89.0.1"});
  CHECK(contains(bad.err, "10.89.0.1 is no address for a box on 10.89.0.0/24"));
  for (const auto& l : json::parse(netns({"ls", "--json"}).out))
    CHECK(l["name"] != "ip-two");
  CHECK(netns({"detach", "--name", "ip-one"}).status == 0);
  CHECK(boxapp({"rm", "-f", "ip-one", "ip-two"}).status == 0);
}
