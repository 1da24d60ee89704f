#include "net/address.hpp"

#include <arpa/inet.h>

namespace boxnet {

std::optional<Ipv4> Ipv4::parse(const std::string& text) {
  struct in_addr a;
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) return std::nullopt;
  return Ipv4{ntohl(a.s_addr)};
}

std::string Ipv4::str() const {
  struct in_addr a = {htonl(value)};
  char buf[INET_ADDRSTRLEN];
  return ::inet_ntop(AF_INET, &a, buf, sizeof buf) ? buf : "";
}

std::optional<Subnet> Subnet::parse(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  auto base = Ipv4::parse(text.substr(0, slash));
  const std::string len = text.substr(slash + 1);
  if (!base || len.empty() || len.size() > 2 || len.find_first_not_of("0123456789") != len.npos)
    return std::nullopt;
  const int prefix = std::stoi(len);
  if (prefix < 8 || prefix > 30) return std::nullopt;
  const uint32_t mask = ~0u << (32 - prefix);
  if (base->value & ~mask) return std::nullopt;
  return Subnet{*base, prefix};
}

std::string Subnet::str() const {
  return base.str() + "/" + std::to_string(prefix);
}

bool Subnet::contains(Ipv4 a) const {
  const uint32_t mask = ~0u << (32 - prefix);
  return (a.value & mask) == base.value;
}

}  // namespace boxnet
