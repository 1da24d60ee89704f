#include "net/config.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "ns/session.hpp"
#include "util/user_dirs.hpp"

namespace boxnet {

const char* upstream_name(Upstream u) {
  switch (u) {
    case Upstream::pasta:
      return "pasta";
    case Upstream::slirp4netns:
      return "slirp4netns";
    case Upstream::none:
      return "none";
  }
  return "?";
}

std::optional<Upstream> parse_upstream(const std::string& name) {
  for (Upstream u : {Upstream::pasta, Upstream::slirp4netns, Upstream::none})
    if (name == upstream_name(u)) return u;
  return std::nullopt;
}

Ipv4 host_address(const NetworkConfig& c) {
  return c.subnet.last_host();
}

bool reserved(const NetworkConfig& c, Ipv4 a) {
  return a == c.gateway || (c.host_loopback && a == host_address(c));
}

std::string network_toml() {
  return boxrt::user_config_dir() + "/boxapp/network.toml";
}

std::string leases_dir() {
  return boxrt::user_state_dir() + "/boxapp/network";
}
std::string holder_socket() {
  return boxrt::session_dir() + "/net.sock";
}
std::string holder_lock() {
  return boxrt::session_dir() + "/net.lock";
}
std::string ports_socket() {
  return boxrt::session_dir() + "/ports.sock";
}
std::string upstream_state_file() {
  return boxrt::session_dir() + "/upstream";
}

std::string dns_state_file() {
  return boxrt::session_dir() + "/dns";
}

std::string helper_binary() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    for (const fs::path& p : {self.parent_path() / "boxapp-netns",
                              self.parent_path().parent_path() / "netns-helper/boxapp-netns"})
      if (::access(p.c_str(), X_OK) == 0) return p;
  return "boxapp-netns";
}

std::string host_link_name(Ipv4 box) {
  char name[16];
  std::snprintf(name, sizeof name, "bx-%08x", box.value);
  return name;
}

std::string box_mac(Ipv4 box) {
  char mac[18];
  const uint32_t v = box.value;
  std::snprintf(mac, sizeof mac, "02:b0:%02x:%02x:%02x:%02x", v >> 24, (v >> 16) & 0xff,
                (v >> 8) & 0xff, v & 0xff);
  return mac;
}

}  // namespace boxnet
