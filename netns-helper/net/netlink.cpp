#include "net/netlink.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include <cstring>
#include <memory>

#include "util/error.hpp"

namespace boxnet {
namespace {

using boxrt::backquoted;
using boxrt::Error;

// libnl objects, released by their own functions.
struct LinkPut {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct AddrPut {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct RtAddrPut {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct RoutePut {
  void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct CachePut {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};
using Link = std::unique_ptr<rtnl_link, LinkPut>;
using Addr = std::unique_ptr<nl_addr, AddrPut>;

void check_nl(int err, const std::string& what) {
  if (err < 0) throw Error("netlink: " + what + ": " + nl_geterror(err));
}

Link new_link() {
  Link l(rtnl_link_alloc());
  if (!l) throw Error("netlink: out of memory");
  return l;
}

Addr ipv4_addr(Ipv4 a, int prefix) {
  const uint32_t be = htonl(a.value);
  Addr addr(nl_addr_build(AF_INET, &be, sizeof be));
  if (!addr) throw Error("netlink: out of memory");
  nl_addr_set_prefixlen(addr.get(), prefix);
  return addr;
}

}  // namespace

Netlink::Netlink() : sock_(nl_socket_alloc()) {
  if (!sock_) throw Error("netlink: out of memory");
  int err = nl_connect(sock_, NETLINK_ROUTE);
  if (err < 0) {
    nl_socket_free(sock_);
    check_nl(err, "connect a route socket");
  }
}

Netlink::~Netlink() {
  nl_socket_free(sock_);
}

int Netlink::ifindex(const std::string& name) {
  rtnl_link* got = nullptr;
  if (rtnl_link_get_kernel(sock_, 0, name.c_str(), &got) < 0) return 0;
  Link l(got);
  return rtnl_link_get_ifindex(l.get());
}

void Netlink::add_bridge(const std::string& name, unsigned mtu, const std::string& mac) {
  Link l = new_link();
  check_nl(rtnl_link_set_type(l.get(), "bridge"), "bridge " + backquoted(name));
  rtnl_link_set_name(l.get(), name.c_str());
  rtnl_link_set_mtu(l.get(), mtu);
  nl_addr* parsed = nullptr;
  check_nl(nl_addr_parse(mac.c_str(), AF_LLC, &parsed), "the MAC address " + mac);
  std::unique_ptr<nl_addr, AddrPut> a(parsed);
  rtnl_link_set_addr(l.get(), a.get());
  check_nl(rtnl_link_add(sock_, l.get(), NLM_F_CREATE | NLM_F_EXCL),
           "create the bridge " + backquoted(name));
}

void Netlink::add_veth(const VethPair& v) {
  Link l(rtnl_link_veth_alloc());
  if (!l) throw Error("netlink: out of memory");
  rtnl_link_set_name(l.get(), v.name.c_str());
  rtnl_link_set_mtu(l.get(), v.mtu);
  if (!v.master.empty()) {
    const int master = ifindex(v.master);
    if (!master) throw Error("netlink: no link " + backquoted(v.master));
    rtnl_link_set_master(l.get(), master);
    rtnl_link_set_flags(l.get(), IFF_UP);
  }
  Link peer(rtnl_link_veth_get_peer(l.get()));
  rtnl_link_set_name(peer.get(), v.peer_name.c_str());
  rtnl_link_set_mtu(peer.get(), v.mtu);
  rtnl_link_set_ns_fd(peer.get(), v.peer_netns_fd);
  std::unique_ptr<nl_addr, AddrPut> mac;
  if (!v.peer_mac.empty()) {
    nl_addr* parsed = nullptr;
    check_nl(nl_addr_parse(v.peer_mac.c_str(), AF_LLC, &parsed), "the MAC address " + v.peer_mac);
    mac.reset(parsed);
    rtnl_link_set_addr(peer.get(), mac.get());
  }
  check_nl(rtnl_link_add(sock_, l.get(), NLM_F_CREATE | NLM_F_EXCL),
           "create the veth pair " + backquoted(v.name) + " / " + backquoted(v.peer_name));
}

void Netlink::set_up(const std::string& name) {
  rtnl_link* got = nullptr;
  check_nl(rtnl_link_get_kernel(sock_, 0, name.c_str(), &got), "find " + backquoted(name));
  Link l(got);
  Link change = new_link();
  rtnl_link_set_flags(change.get(), IFF_UP);
  check_nl(rtnl_link_change(sock_, l.get(), change.get(), 0), "bring up " + backquoted(name));
}

void Netlink::add_address(const std::string& name, Ipv4 address, int prefix) {
  const int index = ifindex(name);
  if (!index) throw Error("netlink: no link " + backquoted(name));
  std::unique_ptr<rtnl_addr, RtAddrPut> a(rtnl_addr_alloc());
  if (!a) throw Error("netlink: out of memory");
  rtnl_addr_set_ifindex(a.get(), index);
  Addr local = ipv4_addr(address, prefix);
  check_nl(rtnl_addr_set_local(a.get(), local.get()), "address");
  check_nl(rtnl_addr_add(sock_, a.get(), 0), "give " + backquoted(name) + " the address " +
                                                 address.str() + "/" + std::to_string(prefix));
}

void Netlink::add_default_route(Ipv4 gateway) {
  std::unique_ptr<rtnl_route, RoutePut> r(rtnl_route_alloc());
  if (!r) throw Error("netlink: out of memory");
  rtnl_route_set_family(r.get(), AF_INET);
  Addr any = ipv4_addr(Ipv4{0}, 0);
  check_nl(rtnl_route_set_dst(r.get(), any.get()), "route");
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  if (!nh) throw Error("netlink: out of memory");
  Addr gw = ipv4_addr(gateway, 32);
  rtnl_route_nh_set_gateway(nh, gw.get());
  rtnl_route_add_nexthop(r.get(), nh);  // the route owns it now
  check_nl(rtnl_route_add(sock_, r.get(), NLM_F_CREATE | NLM_F_EXCL),
           "add the default route through " + gateway.str());
}

std::vector<Subnet> Netlink::route_destinations() {
  nl_cache* got = nullptr;
  check_nl(rtnl_route_alloc_cache(sock_, AF_INET, 0, &got), "list routes");
  std::unique_ptr<nl_cache, CachePut> cache(got);
  std::vector<Subnet> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    nl_addr* dst = rtnl_route_get_dst(r);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN || !dst || nl_addr_get_prefixlen(dst) == 0 ||
        nl_addr_get_len(dst) != 4)
      continue;
    uint32_t be;
    std::memcpy(&be, nl_addr_get_binary_addr(dst), 4);
    const int prefix = static_cast<int>(nl_addr_get_prefixlen(dst));
    const uint32_t mask = prefix >= 32 ? ~0u : ~(~0u >> prefix);
    out.push_back({{ntohl(be) & mask}, prefix});
  }
  return out;
}

bool Netlink::has_default_route() {
  nl_cache* got = nullptr;
  check_nl(rtnl_route_alloc_cache(sock_, AF_INET, 0, &got), "list routes");
  std::unique_ptr<nl_cache, CachePut> cache(got);
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    nl_addr* dst = rtnl_route_get_dst(reinterpret_cast<rtnl_route*>(o));
    if (rtnl_route_get_table(reinterpret_cast<rtnl_route*>(o)) == RT_TABLE_MAIN &&
        (!dst || nl_addr_get_prefixlen(dst) == 0))
      return true;
  }
  return false;
}

void Netlink::remove_link(const std::string& name) {
  Link l = new_link();
  rtnl_link_set_name(l.get(), name.c_str());
  int err = rtnl_link_delete(sock_, l.get());
  if (err < 0 && err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND)
    check_nl(err, "remove " + backquoted(name));
}

std::vector<std::string> Netlink::ports_of(const std::string& bridge) {
  const int master = ifindex(bridge);
  std::vector<std::string> out;
  if (!master) return out;
  nl_cache* got = nullptr;
  check_nl(rtnl_link_alloc_cache(sock_, AF_UNSPEC, &got), "list links");
  std::unique_ptr<nl_cache, CachePut> cache(got);
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* l = reinterpret_cast<rtnl_link*>(o);
    if (rtnl_link_get_master(l) == master) out.emplace_back(rtnl_link_get_name(l));
  }
  return out;
}

}  // namespace boxnet
