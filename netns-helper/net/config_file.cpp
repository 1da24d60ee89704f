// network.toml: the bridge network's settings, each checked where it is written.
#include "net/config.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"
#include "util/toml_section.hpp"

namespace boxnet {
namespace {

using boxrt::Error;
using boxrt::TomlSection;

Ipv4 address(TomlSection& s, const std::string& key, Ipv4 fallback) {
  auto text = s.string(key);
  if (!text) return fallback;
  auto a = Ipv4::parse(*text);
  if (!a)
    s.fail(*s.node(key), key,
           "expected an IPv4 address such as \"10.89.0.1\", not \"" + *text + "\"");
  return *a;
}

bool overlaps(const Subnet& a, const Subnet& b) {
  return a.contains(b.base) || b.contains(a.base);
}

}  // namespace

NetworkConfig parse_network_config(std::string_view text, const std::string& origin) {
  const toml::table root = boxrt::parse_toml(text, origin);
  TomlSection s(root, "", origin);
  NetworkConfig c;
  if (auto v = s.string("subnet")) {
    auto sub = Subnet::parse(*v);
    if (!sub)
      s.fail(*s.node("subnet"), "subnet",
             "expected a subnet such as \"10.89.0.0/24\" (host bits zero, /8 to /30), not \"" + *v +
                 "\"");
    if (overlaps(*sub, kUpstreamLink.subnet))
      s.fail(*s.node("subnet"), "subnet",
             *v + " overlaps " + kUpstreamLink.subnet.str() +
                 ", the link to the upstream: pick another");
    c.subnet = *sub;
    c.gateway = sub->first_host();
  }
  c.gateway = address(s, "gateway", c.gateway);
  if (!c.subnet.contains(c.gateway) || c.gateway == c.subnet.base ||
      c.gateway.value == c.subnet.base.value + c.subnet.size() - 1)
    s.fail(s.node("gateway") ? *s.node("gateway") : root, "gateway",
           c.gateway.str() + " is not a host address of " + c.subnet.str());
  if (auto mtu = s.integer("mtu", 1280)) {
    if (*mtu > 65520) s.fail(*s.node("mtu"), "mtu", "at most 65520, not " + std::to_string(*mtu));
    c.mtu = static_cast<unsigned>(*mtu);
  }
  if (auto u = s.choice("upstream", {"slirp4netns", "pasta", "none"}))
    c.upstream = *parse_upstream(*u);
  c.host_loopback = s.boolean("host_loopback").value_or(c.host_loopback);
  c.isolate = s.boolean("isolate").value_or(c.isolate);
  if (c.host_loopback && host_address(c) == c.gateway)
    s.fail(*s.node("gateway"), "gateway",
           c.gateway.str() + " is where boxes reach the host's loopback: pick another");
  s.finish();
  return c;
}

NetworkConfig network_config() {
  const std::string path = network_toml();
  auto text = boxrt::try_read_file(path);
  return text ? parse_network_config(*text, path) : NetworkConfig{};
}

}  // namespace boxnet
