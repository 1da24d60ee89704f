#include "net/attach.hpp"

#include <fcntl.h>

#include <algorithm>
#include <sstream>

#include "net/host_namespace.hpp"
#include "net/names.hpp"
#include "net/netlink.hpp"
#include "net/netns_scope.hpp"
#include "net/ownership.hpp"
#include "net/publish.hpp"
#include "ns/session.hpp"
#include "util/proc.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/scope_exit.hpp"
#include "util/sys.hpp"

namespace boxnet {
namespace {

// ICMP echo sockets for every group, so that ping works without CAP_NET_RAW (as podman
// sets it for rootless boxes): every group our user namespace maps, which is all the kernel
// takes from us. A sysctl of the box's own network namespace: opened while inside it.
void allow_ping() {
  uint32_t last = 0;
  for (const auto& r : boxrt::own_gid_map())
    last = std::max(last, r.inside + r.count - 1);
  boxrt::unique_fd f = boxrt::open_file("/proc/sys/net/ipv4/ping_group_range", O_WRONLY);
  boxrt::write_all(f.get(), "0 " + std::to_string(last), "/proc/sys/net/ipv4/ping_group_range");
}

// The veth pair, the bridge's end a port of it, the box's end its eth0 with the address
// and route; the pair removed again when a later step fails. On a thread of its own
// (on_own_thread): it enters namespaces it can't come back from.
void plumb(const NetworkConfig& c, Attachment& a, int bridge_ns, int box_netns_fd) {
  a.mac = box_mac(a.ip);
  {
    NetnsScope in_bridge(bridge_ns);
    Netlink nl;
    nl.remove_link(a.host_link);  // of a box killed before its detach
    nl.add_veth({a.host_link, kBoxInterface, box_netns_fd, c.mtu, kBridge, a.mac});
  }
  bool done = false;
  boxrt::ScopeExit remove_veth([&] {
    if (done) return;
    try {
      NetnsScope in_bridge(bridge_ns);
      Netlink().remove_link(a.host_link);
    } catch (const std::exception&) {  // it goes with the box's namespace
    }
  });
  {
    NetnsScope in_box(box_netns_fd);
    Netlink nl;
    nl.set_up("lo");
    nl.add_address(kBoxInterface, a.ip, c.subnet.prefix);
    nl.set_up(kBoxInterface);
    nl.add_default_route(c.gateway);
    allow_ping();
  }
  done = true;
}

// A box's network namespace from outside (util/proc.hpp: through its child when the init is
// undumpable).
boxrt::unique_fd open_box_netns(pid_t init) {
  return boxrt::open_namespace_of(init, "net");
}

// After the holder was made anew (the last one was killed), the boxes whose leases live on
// have lost their veth with the old bridge: each is plumbed again at its own address, and
// what it had asked of the old holder (published ports, isolation) is asked again.
void reattach_lost(const NetworkConfig& c, int bridge_ns, const std::string& except) {
  for (const Lease& l : list_leases()) {
    if (!l.held() || l.name == except) continue;
    const std::string box = "network: box " + boxrt::backquoted(l.name);
    Attachment a{l.name, l.ip, host_link_name(l.ip), ""};
    try {
      boxrt::unique_fd ns = open_box_netns(l.holder.pid);
      on_own_thread([&] { plumb(c, a, bridge_ns, ns.get()); });
      BoxRequests asked = recorded_requests(l.name);
      publish(l.name, l.ip, l.holder.pid, asked);
      boxrt::log_warning(box + " is back on the rebuilt bridge at " + l.ip.str());
    } catch (const std::exception& e) {
      boxrt::log_warning(box + " lost the bridge with its last holder and can't be put back (" +
                         e.what() + "): restart it");
    }
  }
}

}  // namespace

Attachment attach(const NetworkConfig& c, const std::string& name, int box_netns_fd, Holder holder,
                  BoxRequests* requests) {
  if (!within_our_user_namespace(box_netns_fd))
    throw boxrt::Error("network: " + boxrt::backquoted(name) +
                       "'s network namespace belongs to a user namespace outside boxapp's "
                       "session, which can't reach it (a rootless runtime started outside "
                       "it): run the runtime as `boxapp-netns exec -- crun ...`");
  Attachment a;
  a.name = name;
  const Lease lease = take_lease(c, name, holder, requests ? requests->ip : std::nullopt);
  bool done = false;
  boxrt::ScopeExit free_lease([&] {
    if (done) return;
    try {
      release_lease(name);
    } catch (const std::exception&) {  // the lease's box is gone: the next attach frees it
    }
  });
  a.ip = lease.ip;
  a.host_link = host_link_name(a.ip);
  bool rebuilt = false;
  boxrt::unique_fd bridge_ns = host_namespace(&rebuilt);
  on_own_thread([&] { plumb(c, a, bridge_ns.get(), box_netns_fd); });
  if (rebuilt) reattach_lost(c, bridge_ns.get(), name);
  publish_name(a.ip, name);
  boxrt::ScopeExit withdraw([&] {
    if (!done) withdraw_name_of(a.ip, name);
  });
  BoxRequests none;
  BoxRequests& asked = requests ? *requests : none;
  publish(name, a.ip, holder.pid, asked);
  record_requests(name, a.ip, asked);
  done = true;
  return a;
}

void detach(const std::string& name) {
  for (const Lease& l : list_leases())
    if (l.name == name) {
      if (boxrt::unique_fd bridge_ns = running_host_namespace())
        on_own_thread([&] {
          NetnsScope in_bridge(bridge_ns.get());
          Netlink().remove_link(host_link_name(l.ip));
        });
      withdraw_name_of(l.ip, name);
    }
  unpublish(name);
  forget_requests(name);
  release_lease(name);
}

}  // namespace boxnet
