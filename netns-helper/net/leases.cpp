#include "net/leases.hpp"

#include <algorithm>
#include <sstream>

#include "ns/session.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/lock_file.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxnet {
namespace {

using boxrt::backquoted;
using boxrt::Error;

// The leases in use, on the runtime directory's tmpfs: rewritten at every attach and
// detach, where a rename over a file on the state directory's disk (ext4's replace-by-rename
// flush) cost an attach up to 1.5 ms here.
std::string leases_file() {
  return boxrt::session_dir() + "/leases";
}
// Which address each name had, on the state directory: what outlives a reboot, written only
// when a name is given an address it didn't have.
std::string addresses_file() {
  return leases_dir() + "/addresses";
}

// "IP NAME" per line.
std::vector<Lease> read_addresses() {
  std::vector<Lease> out;
  std::istringstream in(boxrt::try_read_file(addresses_file()).value_or(""));
  std::string ip, name;
  while (in >> ip >> name)
    if (auto a = Ipv4::parse(ip)) out.push_back({*a, name, {}});
  return out;
}

// Only when a name was given an address it didn't have (take_lease knows): the state
// directory is off an attach's way otherwise.
void write_addresses(const std::vector<Lease>& leases) {
  std::string text;
  for (const auto& l : leases)
    text += l.ip.str() + " " + l.name + "\n";
  boxrt::make_dirs(leases_dir(), 0700);
  boxrt::write_file_atomic(addresses_file(), text, 0600, boxrt::Durability::volatile_ok);
}

bool holder_alive(const Lease& l) {
  return l.held() && boxrt::is_same_live_process(l.holder.pid, l.holder.start_time);
}

// "IP NAME PID START" per line; PID 0 for a free lease. With check_holders, those whose box
// is gone are marked free (counted in `collected`); without, a lease's holder may be gone
// (holder_alive says): an attach looks at the few it needs, not at every box's /proc.
std::vector<Lease> read_leases(int* collected = nullptr, bool check_holders = true) {
  std::vector<Lease> out;
  // The first since boot: every name's address, all free.
  const auto text = boxrt::try_read_file(leases_file());
  if (!text) return read_addresses();
  std::istringstream in(*text);
  std::string ip, name;
  Lease l;
  while (in >> ip >> name >> l.holder.pid >> l.holder.start_time) {
    auto a = Ipv4::parse(ip);
    if (!a) continue;  // not ours: dropped at the next write
    l.ip = *a;
    l.name = name;
    if (check_holders && l.held() && !holder_alive(l)) {
      l.holder = {};
      if (collected) ++*collected;
    }
    out.push_back(l);
  }
  return out;
}

void write_leases(const std::vector<Lease>& leases) {
  std::string text;
  for (const auto& l : leases)
    text += l.ip.str() + " " + l.name + " " + std::to_string(l.holder.pid) + " " +
            std::to_string(l.holder.start_time) + "\n";
  // Atomic against a killed writer; a power cut only costs names their usual address.
  boxrt::write_file_atomic(leases_file(), text, 0600, boxrt::Durability::volatile_ok);
}

boxrt::FileLock lock_leases() {
  boxrt::make_dirs(boxrt::session_dir(), 0700);
  return boxrt::FileLock::acquire(boxrt::session_dir() + "/leases.lock");
}

// The first address of the subnet that no lease has and no one else uses.
std::optional<Ipv4> unleased(const NetworkConfig& c, const std::vector<Lease>& leases) {
  for (uint32_t v = c.subnet.first_host().value; v <= c.subnet.last_host().value; ++v) {
    const Ipv4 a{v};
    if (reserved(c, a)) continue;
    if (std::none_of(leases.begin(), leases.end(), [&](const Lease& l) { return l.ip == a; }))
      return a;
  }
  return std::nullopt;
}

}  // namespace

Holder holder_of(pid_t pid) {
  auto st = boxrt::read_proc_stat(pid);
  return st ? Holder{pid, st->start_time} : Holder{};
}

namespace {

// `want` for `name`, taken from a free lease of another name when one has it.
// Whether an address moved.
bool claim(const NetworkConfig& c, std::vector<Lease>& leases, const std::string& name, Ipv4 want) {
  if (!c.subnet.contains(want) || reserved(c, want))
    throw Error("network: " + want.str() + " is no address for a box on " + c.subnet.str() + " (" +
                c.gateway.str() + " is the gateway" +
                (c.host_loopback ? ", " + host_address(c).str() + " the host's loopback" : "") +
                ")");
  auto other = std::find_if(leases.begin(), leases.end(),
                            [&](const Lease& l) { return l.ip == want && l.name != name; });
  if (other != leases.end() && holder_alive(*other))
    throw Error("network: " + want.str() + " is " + backquoted(other->name) + "'s (process " +
                std::to_string(other->holder.pid) + ")");
  const bool taken = other != leases.end();
  if (taken) leases.erase(other);
  auto own =
      std::find_if(leases.begin(), leases.end(), [&](const Lease& l) { return l.name == name; });
  if (own == leases.end()) {
    leases.push_back({want, name, {}});
    return true;
  }
  const bool moved = !(own->ip == want);
  own->ip = want;
  return taken || moved;
}

}  // namespace

Lease take_lease(const NetworkConfig& c, const std::string& name, Holder holder,
                 std::optional<Ipv4> want) {
  boxrt::FileLock lock = lock_leases();
  std::vector<Lease> leases = read_leases(nullptr, /*check_holders=*/false);
  // Leases of another subnet (network.toml changed) are of no use any more.
  bool moved = std::erase_if(leases, [&](const Lease& l) {
                 return !c.subnet.contains(l.ip) || reserved(c, l.ip);
               }) > 0;
  auto own =
      std::find_if(leases.begin(), leases.end(), [&](const Lease& l) { return l.name == name; });
  if (own != leases.end() && holder_alive(*own))
    throw Error("network: " + backquoted(name) + " is attached already, as " + own->ip.str() +
                " (process " + std::to_string(own->holder.pid) + ")");
  if (want) {
    moved = claim(c, leases, name, *want) || moved;
    own =
        std::find_if(leases.begin(), leases.end(), [&](const Lease& l) { return l.name == name; });
  }
  if (own == leases.end()) {
    if (auto a = unleased(c, leases)) {
      leases.push_back({*a, name, {}});
      own = leases.end() - 1;
      moved = true;
    } else {
      own = std::find_if(leases.begin(), leases.end(),
                         [](const Lease& l) { return !holder_alive(l); });
      if (own == leases.end())
        throw Error("network: the subnet " + c.subnet.str() + " is full (" +
                    std::to_string(leases.size()) +
                    " boxes attached): stop one, or give network.toml a larger subnet");
      own->name = name;
      moved = true;
    }
  }
  own->holder = holder;
  const Lease taken = *own;
  write_leases(leases);
  if (moved) write_addresses(leases);
  return taken;
}

void release_lease(const std::string& name) {
  boxrt::FileLock lock = lock_leases();
  std::vector<Lease> leases = read_leases(nullptr, /*check_holders=*/false);
  for (auto& l : leases)
    if (l.name == name) l.holder = {};
  write_leases(leases);
}

std::vector<Lease> list_leases() {
  boxrt::FileLock lock = lock_leases();
  return read_leases();
}

int collect_leases() {
  boxrt::FileLock lock = lock_leases();
  int collected = 0;
  std::vector<Lease> leases = read_leases(&collected);
  if (collected) write_leases(leases);
  return collected;
}

}  // namespace boxnet
