#include "run/bridge.hpp"

#include "net/attach.hpp"
#include "util/atomic_file.hpp"
#include "util/sys.hpp"

namespace boxapp {
namespace {

std::string ip_file(const std::string& bundle) {
  return bundle + "/.ip";
}

}  // namespace

void plumb_bridge(const std::string& name, const std::string& bundle, int netns_fd, pid_t pid) {
  const boxnet::Attachment a =
      boxnet::attach(boxnet::network_config(), name, netns_fd, boxnet::holder_of(pid));
  boxrt::write_file_atomic(ip_file(bundle), a.ip.str() + "\n", 0644,
                           boxrt::Durability::volatile_ok);
}

std::string bridge_ip(const std::string& bundle) {
  std::string ip = boxrt::try_read_file(ip_file(bundle)).value_or("");
  while (!ip.empty() && ip.back() == '\n')
    ip.pop_back();
  return ip;
}

}  // namespace boxapp
