#include "net/config.hpp"

#include <cstdio>

#include "ns/session.hpp"
#include "util/user_dirs.hpp"

namespace boxnet {

NetworkConfig network_config() {
  return NetworkConfig{};
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

std::string host_link_name(Ipv4 box) {
  char name[16];
  std::snprintf(name, sizeof name, "bx-%08x", box.value);
  return name;
}

}  // namespace boxnet
