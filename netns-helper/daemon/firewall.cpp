#include "daemon/firewall.hpp"

#include <nftables/libnftables.h>

#include <cstdio>
#include <memory>

#include "util/error.hpp"

namespace boxnet {
namespace {

struct CtxFree {
  void operator()(nft_ctx* c) const { nft_ctx_free(c); }
};

void run_nft(const std::string& cmd);

}  // namespace

std::string firewall_ruleset(const NetworkConfig& c) {
  const std::string subnet = c.subnet.str(), bridge = kBridge, up = kUpstreamInterface;
  std::string r = "table ip boxapp {\n";
  if (c.host_loopback)
    // The stack maps its gateway to the host's loopback; boxes ask for it at an address of
    // their own subnet, which the bridge answers ARP for.
    r += "  chain pre {\n    type nat hook prerouting priority dstnat; policy accept;\n"
         "    iifname \"" +
         bridge + "\" ip daddr " + host_address(c).str() + " dnat to " +
         kUpstreamLink.host_loopback.str() + "\n  }\n";
  r += "  chain post {\n    type nat hook postrouting priority srcnat; policy accept;\n"
       "    oifname \"" +
       up + "\" ip saddr " + subnet + " masquerade\n  }\n}\n";
  // Box to box is bridged, not routed: only the bridge family's hook sees it. The set holds
  // the bridge ends of boxes whose profile isolates them ([network] isolate).
  r += "table bridge boxapp {\n  set isolated {\n    type ifname\n  }\n  chain forward {\n"
       "    type filter hook forward priority filter; policy accept;\n"
       "    iifname @isolated oifname \"bx-*\" drop\n"
       "    oifname @isolated iifname \"bx-*\" drop\n";
  if (c.isolate) r += "    iifname \"bx-*\" oifname \"bx-*\" drop\n";
  r += "  }\n}\n";
  return r;
}

namespace {

void run_nft(const std::string& cmd) {
  std::unique_ptr<nft_ctx, CtxFree> ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  if (!ctx) throw boxrt::Error("nftables: out of memory");
  nft_ctx_buffer_error(ctx.get());
  if (nft_run_cmd_from_buffer(ctx.get(), cmd.c_str()) != 0) {
    std::string why = nft_ctx_get_error_buffer(ctx.get());
    while (!why.empty() && why.back() == '\n')
      why.pop_back();
    throw boxrt::Error("nftables: " + why);
  }
}

}  // namespace

void apply_firewall(const NetworkConfig& c) {
  // "add" then "delete" makes the delete succeed whether or not a table was there.
  run_nft(
      "add table ip boxapp\ndelete table ip boxapp\n"
      "add table bridge boxapp\ndelete table bridge boxapp\n" +
      firewall_ruleset(c));
}

std::string isolation_command(const std::string& link, bool on) {
  return std::string(on ? "add" : "delete") + " element bridge boxapp isolated { \"" + link +
         "\" }\n";
}

void set_isolated(const std::string& link, bool on) {
  run_nft(isolation_command(link, on));
}

}  // namespace boxnet
