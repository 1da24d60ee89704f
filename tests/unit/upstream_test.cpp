// The holder's plans as data: the upstream's command line and the firewall's rules.
#include "daemon/upstream.hpp"

#include <catch2/catch.hpp>

#include "daemon/firewall.hpp"

using namespace boxnet;

namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v)
    out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

TEST_CASE("upstream: pasta and slirp4netns get one layout, no port forwarding of their own") {
  NetworkConfig c;
  CHECK(c.upstream == Upstream::slirp4netns);
  c.upstream = Upstream::pasta;
  const std::string pasta = joined(upstream_argv(c, 7));
  CHECK(pasta.starts_with("pasta --foreground --quiet --netns /proc/self/fd/7 --netns-only"));
  CHECK(pasta.find("--ns-ifname up0") != std::string::npos);
  CHECK(pasta.find("--address 10.89.255.100 --netmask 24 --gateway 10.89.255.2 "
                   "--dns-forward 10.89.255.3") != std::string::npos);
  CHECK(pasta.ends_with("-t none -u none -T none -U none"));
  c.upstream = Upstream::slirp4netns;
  CHECK(joined(upstream_argv(c, 7)) ==
        "slirp4netns --configure --mtu=65520 --cidr=10.89.255.0/24 --enable-sandbox "
        "--enable-seccomp --netns-type=path /proc/self/fd/7 up0");
  c.host_loopback = false;
  CHECK(joined(upstream_argv(c, 7)).find("--disable-host-loopback") != std::string::npos);
  c.upstream = Upstream::pasta;
  CHECK(joined(upstream_argv(c, 7)).ends_with("--no-map-gw"));
}

TEST_CASE("firewall: masquerade out of up0, the host's loopback at .254, isolation on demand") {
  NetworkConfig c;
  const std::string r = firewall_ruleset(c);
  CHECK(r.find("oifname \"up0\" ip saddr 10.89.0.0/24 masquerade") != std::string::npos);
  CHECK(r.find("iifname \"boxapp0\" ip daddr 10.89.0.254 dnat to 10.89.255.2") !=
        std::string::npos);
  // The isolated set, empty until a profile's box asks; no box kept from every other.
  CHECK(r.find("iifname @isolated oifname \"bx-*\" drop") != std::string::npos);
  CHECK(r.find("oifname @isolated iifname \"bx-*\" drop") != std::string::npos);
  CHECK(r.find("iifname \"bx-*\" oifname \"bx-*\" drop") == std::string::npos);
  CHECK(isolation_command("bx-0a590005", true) ==
        "add element bridge boxapp isolated { \"bx-0a590005\" }\n");
  CHECK(isolation_command("bx-0a590005", false) ==
        "delete element bridge boxapp isolated { \"bx-0a590005\" }\n");
  c.host_loopback = false;
  c.isolate = true;
  const std::string off = firewall_ruleset(c);
  CHECK(off.find("dnat") == std::string::npos);
  CHECK(off.find("iifname \"bx-*\" oifname \"bx-*\" drop") != std::string::npos);
  CHECK(host_address(c).str() == "10.89.0.254");
}

TEST_CASE("network.toml: settings over the defaults; each mistake at its file:line:column") {
  const NetworkConfig d = parse_network_config("", "network.toml");
  CHECK(d.subnet.str() == "10.89.0.0/24");
  CHECK(d.gateway.str() == "10.89.0.1");
  const NetworkConfig c = parse_network_config(
      "subnet = \"10.77.0.0/16\"\nmtu = 1500\nupstream = \"pasta\"\nhost_loopback = false\n"
      "isolate = true\n",
      "network.toml");
  CHECK(c.subnet.str() == "10.77.0.0/16");
  CHECK(c.gateway.str() == "10.77.0.1");  // the subnet's first address unless given
  CHECK(c.mtu == 1500);
  CHECK(c.upstream == Upstream::pasta);
  CHECK(!c.host_loopback);
  CHECK(c.isolate);
  CHECK(host_address(parse_network_config("subnet = \"10.77.0.0/16\"", "n")).str() ==
        "10.77.255.254");
  auto error = [](const std::string& text) {
    try {
      parse_network_config(text, "/home/u/.config/boxapp/network.toml");
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string f = "/home/u/.config/boxapp/network.toml:";
  CHECK(error("subnet = \"10.89.0.1/24\"") ==
        f + "1:10: subnet: expected a subnet such as \"10.89.0.0/24\" (host bits zero, /8 to "
            "/30), not \"10.89.0.1/24\"");
  CHECK(error("subnet = \"10.89.0.0/16\"") ==
        f + "1:10: subnet: 10.89.0.0/16 overlaps 10.89.255.0/24, the link to the upstream: "
            "pick another");
  CHECK(error("\ngateway = \"10.90.0.1\"") ==
        f + "2:11: gateway: 10.90.0.1 is not a host address of 10.89.0.0/24");
  CHECK(error("gateway = \"10.89.0.254\"") ==
        f + "1:11: gateway: 10.89.0.254 is where boxes reach the host's loopback: pick another");
  CHECK(error("mtu = 70000") == f + "1:7: mtu: at most 65520, not 70000");
  CHECK(error("mtu = 500") == f + "1:7: mtu: must be >= 1280, not 500");
  CHECK(error("upstream = \"vde\"") ==
        f + "1:12: upstream: expected one of slirp4netns, pasta, none, not \"vde\"");
  CHECK(error("isolated = true") == f + "1:1: isolated: unknown key, did you mean `isolate`?");
  CHECK(error("subnet = ") ==
        f + "1:10: invalid TOML: Error while parsing key-value pair: encountered end-of-file");
}
