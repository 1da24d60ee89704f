#include "net/names.hpp"

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <set>

#include "net/leases.hpp"
#include "ns/session.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxnet {
namespace {

// The entry is made beside the directory and renamed into it: dnsmasq reads every file
// that appears in it, a temporary one too.
void write_entry(const std::string& file, const std::string& line) {
  boxrt::make_dirs(hosts_dir(), 0700);
  const std::string tmp =
      boxrt::session_dir() + "/.hosts-" + file + "." + std::to_string(::getpid());
  boxrt::write_file_atomic(tmp, line, 0644, boxrt::Durability::volatile_ok);
  if (::rename(tmp.c_str(), (hosts_dir() + "/" + file).c_str()) != 0) {
    ::unlink(tmp.c_str());
    boxrt::throw_errno("network: name " + boxrt::backquoted(file) + " in " + hosts_dir());
  }
}

}  // namespace

std::string hosts_dir() {
  return boxrt::session_dir() + "/hosts";
}

std::string dns_name(const std::string& box) {
  std::string out;
  for (char ch : box) {
    const unsigned char c = static_cast<unsigned char>(ch);
    out += std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '-';
  }
  return out;
}

void publish_name(Ipv4 ip, const std::string& box) {
  write_entry(ip.str(), ip.str() + " " + dns_name(box) + "\n");
}

void withdraw_name(Ipv4 ip) {
  ::unlink((hosts_dir() + "/" + ip.str()).c_str());
}

void withdraw_name_of(Ipv4 ip, const std::string& box) {
  const std::string entry = hosts_dir() + "/" + ip.str();
  if (boxrt::try_read_file(entry) == ip.str() + " " + dns_name(box) + "\n") ::unlink(entry.c_str());
}

int withdraw_gone_names(const NetworkConfig& c) {
  std::set<uint32_t> held;
  for (const Lease& l : list_leases())
    if (l.held()) held.insert(l.ip.value);
  int withdrawn = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(hosts_dir(), ec)) {
    const auto ip = Ipv4::parse(entry.path().filename());
    if (!ip || reserved(c, *ip) || held.count(ip->value)) continue;
    withdraw_name(*ip);
    ++withdrawn;
  }
  return withdrawn;
}

void publish_fixed_names(const NetworkConfig& c) {
  if (c.host_loopback)
    write_entry(host_address(c).str(), host_address(c).str() + " host\n");
  else
    withdraw_name(host_address(c));
}

}  // namespace boxnet
