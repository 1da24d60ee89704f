#include "net/publish.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

#include "net/config.hpp"
#include "ns/session.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fd_passing.hpp"
#include "util/log.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"
#include "util/unix_socket.hpp"

namespace boxnet {
namespace {

using boxrt::Error;
using boxrt::unique_fd;

constexpr int kReplyMs = 5000;

std::string requests_file(const std::string& name) {
  return boxrt::session_dir() + "/requests/" + name;
}

unique_fd connect_forwarder() {
  return boxrt::connect_unix(ports_socket(), SOCK_SEQPACKET);
}

}  // namespace

std::string port_line(const std::string& name, Ipv4 ip, const PortMapping& m) {
  return name + " " + ip.str() + " " + proto_name(m.proto) + " " + m.host_ip.str() + " " +
         std::to_string(m.host_port) + " " + std::to_string(m.box_port);
}

std::optional<Published> parse_port_line(const std::string& line) {
  std::istringstream in(line);
  std::string name, ip, proto, host_ip;
  unsigned host_port = 0, box_port = 0;
  if (!(in >> name >> ip >> proto >> host_ip >> host_port >> box_port)) return std::nullopt;
  auto a = Ipv4::parse(ip), h = Ipv4::parse(host_ip);
  if (!a || !h || (proto != "tcp" && proto != "udp") || host_port > 65535 || box_port > 65535)
    return std::nullopt;
  PortMapping m{*h, static_cast<uint16_t>(host_port), static_cast<uint16_t>(box_port),
                proto == "udp" ? Proto::udp : Proto::tcp};
  return Published{name, *a, m};
}

namespace {

// One request, its descriptors, its answer; `what` names it in errors.
void ask(int conn, const std::string& req, const std::vector<int>& fds, const std::string& what) {
  if (!boxrt::send_fds(conn, fds.data(), fds.size(), req.data(), req.size()))
    boxrt::throw_errno(what);
  const std::string reply = boxrt::receive_message(conn, kReplyMs);
  if (reply != "ok")
    throw Error(what + ": " +
                (reply.empty() ? std::string("the bridge's forwarder did not answer") : reply));
}

}  // namespace

void publish(const std::string& name, Ipv4 ip, pid_t pid, BoxRequests& requests) {
  if (requests.ports.empty() && !requests.isolate) return;
  unique_fd conn = connect_forwarder();
  if (!conn)
    throw boxrt::sys_error(
        errno, "network: the bridge's forwarder on " + boxrt::backquoted(ports_socket()));
  unique_fd pidfd = pid ? boxrt::open_pidfd(pid) : unique_fd();
  std::vector<int> with_pidfd;
  if (pidfd) with_pidfd.push_back(pidfd.get());
  if (requests.isolate)
    ask(conn.get(), "isolate " + name + " " + ip.str(), with_pidfd, "isolate " + name);
  for (BoundPort& p : requests.ports) {
    std::vector<int> fds = {p.fd.get()};
    fds.insert(fds.end(), with_pidfd.begin(), with_pidfd.end());
    ask(conn.get(), "publish " + port_line(name, ip, p.mapping), fds, "publish " + p.mapping.str());
    p.fd.reset();  // the forwarder's now
  }
}

void record_requests(const std::string& name, Ipv4 ip, const BoxRequests& requests) {
  if (requests.ports.empty() && !requests.isolate) return forget_requests(name);
  std::string text = requests.isolate ? "isolate\n" : "";
  for (const BoundPort& p : requests.ports)
    text += port_line(name, ip, p.mapping) + "\n";
  boxrt::make_dirs(boxrt::session_dir() + "/requests", 0700);
  boxrt::write_file_atomic(requests_file(name), text, 0600, boxrt::Durability::volatile_ok);
}

BoxRequests recorded_requests(const std::string& name) {
  BoxRequests r;
  std::istringstream in(boxrt::try_read_file(requests_file(name)).value_or(""));
  for (std::string line; std::getline(in, line);) {
    if (line == "isolate") r.isolate = true;
    auto p = parse_port_line(line);
    if (!p) continue;
    try {
      r.ports.push_back(bind_port(p->mapping));
    } catch (const std::exception& e) {
      boxrt::log_warning("network: box " + boxrt::backquoted(name) + ": " + e.what());
    }
  }
  return r;
}

void forget_requests(const std::string& name) {
  ::unlink(requests_file(name).c_str());
}

void unpublish(const std::string& name) {
  unique_fd conn = connect_forwarder();
  if (!conn) return;
  boxrt::send_message(conn.get(), "unpublish " + name);
  (void)boxrt::receive_message(conn.get(), kReplyMs);
}

std::vector<Published> list_published() {
  std::vector<Published> out;
  unique_fd conn = connect_forwarder();
  if (!conn || !boxrt::send_message(conn.get(), "list")) return out;
  std::istringstream in(boxrt::receive_message(conn.get(), kReplyMs));
  for (std::string line; std::getline(in, line);)
    if (auto p = parse_port_line(line)) out.push_back(*p);
  return out;
}

}  // namespace boxnet
