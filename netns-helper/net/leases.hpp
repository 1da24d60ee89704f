// Addresses on the bridge: one lease per box name, in RUNTIME_DIR/boxapp/leases, read and
// rewritten whole under RUNTIME_DIR/boxapp/leases.lock (flock), so that parallel attaches
// never hand out one address twice. A released lease stays on file, free, so that the name
// gets the same address next time while no other name has taken it; a lease whose holder
// (the box's init, by pid and start time) is gone counts as released. Which address each name
// had is kept in LEASES_DIR/addresses too, across reboots: the first attach after one starts
// from it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/config.hpp"

namespace boxnet {

struct Holder {
  pid_t pid = 0;  // 0: free
  uint64_t start_time = 0;
};

struct Lease {
  Ipv4 ip;
  std::string name;
  Holder holder;
  bool held() const { return holder.pid != 0; }
};

// The lease of `name`, now held by `holder`: its own address when it had one and it is
// free, else the first address no lease has, else the first free one of another name.
// Errors: the name held by a live box, or a full subnet.
// With `want`, that address (attach --ip), taken from another name's free lease if need be;
// an error when it is outside the subnet, the bridge's own, or a live box's.
Lease take_lease(const NetworkConfig& c, const std::string& name, Holder holder,
                 std::optional<Ipv4> want = std::nullopt);
// Frees `name`'s lease (kept on file for next time); none is fine.
void release_lease(const std::string& name);
// Every lease, those of boxes that are gone marked free.
std::vector<Lease> list_leases();
// Frees the leases of boxes that are gone; how many.
int collect_leases();

// A box's init as a holder: its pid and start time (util/proc.hpp), or a free holder
// when it is gone.
Holder holder_of(pid_t pid);

}  // namespace boxnet
