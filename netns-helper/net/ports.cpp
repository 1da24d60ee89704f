#include "net/ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>

#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxnet {
namespace {

using boxrt::Error;

std::optional<uint16_t> port_number(const std::string& s, bool zero_ok) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v > 65535 || (v == 0 && !zero_ok))
    return std::nullopt;
  return static_cast<uint16_t>(v);
}

Error bad_port(const std::string& text, const std::string& why) {
  return Error("port " + boxrt::backquoted(text) + ": " + why +
               " (expected [IP:]HOST_PORT:BOX_PORT[/tcp|/udp], or BOX_PORT alone for any free "
               "host port)");
}

// The lowest port a plain user may bind on the host: ports below it need privilege there.
unsigned unprivileged_port_start() {
  const auto text = boxrt::try_read_file("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  return text ? static_cast<unsigned>(std::stoul(*text)) : 1024;
}

}  // namespace

const char* proto_name(Proto p) {
  return p == Proto::udp ? "udp" : "tcp";
}

std::string PortMapping::str() const {
  return host_ip.str() + ":" + std::to_string(host_port) + "->" + std::to_string(box_port) + "/" +
         proto_name(proto);
}

PortMapping parse_port(const std::string& text) {
  PortMapping m;
  std::string rest = text;
  if (const auto slash = rest.rfind('/'); slash != std::string::npos) {
    const std::string p = rest.substr(slash + 1);
    if (p != "tcp" && p != "udp") throw bad_port(text, "the protocol is tcp or udp, not " + p);
    m.proto = p == "udp" ? Proto::udp : Proto::tcp;
    rest.resize(slash);
  }
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const auto colon = rest.find(':', start);
    parts.push_back(rest.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (parts.size() > 3) throw bad_port(text, "too many parts (IPv6 addresses are not supported)");
  if (parts.size() == 3) {
    auto ip = Ipv4::parse(parts[0]);
    if (!ip) throw bad_port(text, "`" + parts[0] + "` is not an IPv4 address");
    m.host_ip = *ip;
  }
  const auto box = port_number(parts.back(), false);
  if (!box) throw bad_port(text, "`" + parts.back() + "` is not a port (1-65535)");
  m.box_port = *box;
  if (parts.size() >= 2) {
    const auto host = port_number(parts[parts.size() - 2], false);
    if (!host) throw bad_port(text, "`" + parts[parts.size() - 2] + "` is not a port (1-65535)");
    m.host_port = *host;
  }
  return m;
}

BoundPort bind_port(const PortMapping& m) {
  const bool tcp = m.proto == Proto::tcp;
  BoundPort b{m, boxrt::unique_fd(::socket(
                     AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0))};
  if (!b.fd) boxrt::throw_errno("port " + m.str() + ": socket");
  const int one = 1;
  // A listener restarted while its last connections linger in TIME_WAIT binds again; a
  // port someone listens on stays refused.
  if (tcp) ::setsockopt(b.fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // Replies leave from the address the client sent to, on a host with several.
  if (!tcp) ::setsockopt(b.fd.get(), IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
  struct sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(m.host_port);
  a.sin_addr.s_addr = htonl(m.host_ip.value);
  if (::bind(b.fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    const int err = errno;
    const std::string where =
        m.host_ip.str() + ":" + std::to_string(m.host_port) + "/" + proto_name(m.proto);
    if (err == EADDRINUSE)
      throw Error("port " + where + " is taken on the host (by another box or program): " +
                      "publish another host port",
                  err);
    if (err == EACCES && m.host_port < unprivileged_port_start())
      throw Error("port " + where + " is below the host's net.ipv4.ip_unprivileged_port_start (" +
                      std::to_string(unprivileged_port_start()) +
                      "), which a user may not bind: " + "publish a host port above it, e.g. " +
                      std::to_string(m.host_port + 8000) + ":" + std::to_string(m.box_port),
                  err);
    if (err == EADDRNOTAVAIL)
      throw Error("port " + where + ": the host has no address " + m.host_ip.str(), err);
    throw boxrt::sys_error(err, "port " + where + ": bind");
  }
  if (tcp && ::listen(b.fd.get(), SOMAXCONN) != 0)
    boxrt::throw_errno("port " + m.str() + ": listen");
  socklen_t len = sizeof a;
  if (::getsockname(b.fd.get(), reinterpret_cast<sockaddr*>(&a), &len) == 0)
    b.mapping.host_port = ntohs(a.sin_port);
  return b;
}

std::vector<BoundPort> bind_ports(const std::vector<PortMapping>& ms) {
  std::vector<BoundPort> out;
  for (const auto& m : ms)
    out.push_back(bind_port(m));
  return out;
}

}  // namespace boxnet
