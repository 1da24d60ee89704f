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
  CHECK(r.find("table bridge") == std::string::npos);
  c.host_loopback = false;
  c.isolate = true;
  const std::string off = firewall_ruleset(c);
  CHECK(off.find("dnat") == std::string::npos);
  CHECK(off.find("iifname \"bx-*\" oifname \"bx-*\" drop") != std::string::npos);
  CHECK(host_address(c).str() == "10.89.0.254");
}
