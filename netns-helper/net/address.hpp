// IPv4 addresses and subnets, as the bridge network uses them (host byte order).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace boxnet {

struct Ipv4 {
  uint32_t value = 0;
  // "10.89.0.5"; nullopt for anything else.
  static std::optional<Ipv4> parse(const std::string& text);
  std::string str() const;
  bool operator==(const Ipv4&) const = default;
};

struct Subnet {
  Ipv4 base;       // the network address: host bits zero
  int prefix = 0;  // 8..30: room for a gateway and boxes
  // "10.89.0.0/24"; nullopt for anything else (host bits set, a prefix out of range).
  static std::optional<Subnet> parse(const std::string& text);
  std::string str() const;
  bool contains(Ipv4 a) const;
  Ipv4 first_host() const { return {base.value + 1}; }
  Ipv4 last_host() const { return {base.value + size() - 2}; }
  uint32_t size() const { return 1u << (32 - prefix); }
};

}  // namespace boxnet
