#include "run/bridge.hpp"

#include <fcntl.h>

#include "net/attach.hpp"
#include "net/hook.hpp"
#include "net/names.hpp"
#include "util/atomic_file.hpp"
#include "util/sys.hpp"

namespace boxapp {
namespace {

using boxnet::ip_file;

const char* const kLocalHosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";

}  // namespace

void write_network_files(const boxnet::NetworkConfig& c, const std::string& bundle) {
  boxrt::write_file_atomic(bundle + "/resolv.conf",
                           "nameserver " + c.gateway.str() + "\nsearch box\n", 0644,
                           boxrt::Durability::volatile_ok);
  boxrt::write_file_atomic(bundle + "/hosts", kLocalHosts, 0644, boxrt::Durability::volatile_ok);
}

boxnet::BoxRequests bridge_requests(const Profile& p, const std::vector<std::string>& run_ports,
                                    bool publish_all) {
  if ((!run_ports.empty() || publish_all) && p.network != NetworkMode::bridge)
    throw boxrt::Error(std::string(publish_all ? "run -P: " : "run -p: ") +
                       boxrt::backquoted(p.name) +
                       "'s profile has no [network] mode = \"bridge\", which published ports need");
  std::vector<boxnet::PortMapping> mappings;
  for (const auto& list : {p.ports, run_ports})
    for (const auto& text : list)
      mappings.push_back(boxnet::parse_port(text));
  // podman's -P: "PORT/tcp" of the image's config on any free port of the host's.
  if (publish_all)
    for (const auto& exposed : p.image_ports)
      try {
        const size_t slash = exposed.find('/');
        const bool udp = slash != std::string::npos && exposed.substr(slash + 1) == "udp";
        mappings.push_back(boxnet::parse_port(exposed.substr(0, slash) + (udp ? "/udp" : "")));
      } catch (boxrt::Error& e) {
        throw e.add_context("run -P: the image's ExposedPorts " + boxrt::backquoted(exposed));
      }
  return {boxnet::bind_ports(mappings), p.isolate, std::nullopt};
}

void plumb_bridge(const boxnet::NetworkConfig& c, const BridgeBox& box,
                  boxnet::BoxRequests& requests, int netns_fd, pid_t pid) {
  const std::string& bundle = box.bundle;
  const boxnet::Attachment a =
      boxnet::attach(c, box.name, netns_fd, boxnet::holder_of(pid), &requests);
  boxrt::write_file_atomic(ip_file(bundle), a.ip.str() + "\n", 0644,
                           boxrt::Durability::volatile_ok);
  // Rewritten in place: the box's /etc/hosts is a bind of this very file.
  boxrt::unique_fd hosts = boxrt::open_file(bundle + "/hosts", O_WRONLY | O_TRUNC);
  const std::string dns = boxnet::dns_name(box.name);
  std::string names = dns + " " + dns + ".box";
  if (box.hostname != dns) names += " " + box.hostname;
  boxrt::write_all(hosts.get(), kLocalHosts + a.ip.str() + "\t" + names + "\n", bundle + "/hosts");
}

void forget_bridge_name(const std::string& name, const std::string& bundle) {
  if (auto ip = boxnet::Ipv4::parse(bridge_ip(bundle))) boxnet::withdraw_name_of(*ip, name);
}

std::string bridge_ip(const std::string& bundle) {
  std::string ip = boxrt::try_read_file(ip_file(bundle)).value_or("");
  while (!ip.empty() && ip.back() == '\n')
    ip.pop_back();
  return ip;
}

}  // namespace boxapp
