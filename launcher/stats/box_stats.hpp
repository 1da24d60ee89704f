// `boxapp stats`: boxes' resource use, sampled from the runtime's stats (the box's cgroup,
// or /proc where it has none) and its network namespace, as docker stats and the seeds'
// magneto over `runc events` show it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lifecycle/runtime.hpp"

namespace boxapp {

// One box's counters at one moment.
struct BoxSample {
  std::string name;
  std::chrono::steady_clock::time_point at;
  uint64_t cpu_ns = 0;                    // CPU time used, all its processes
  uint64_t memory = 0, memory_limit = 0;  // limit 0: none
  uint64_t pids = 0, pids_limit = 0;
  std::optional<uint64_t> net_rx, net_tx;  // none: the box shares the host's network
  uint64_t block_read = 0, block_write = 0;
};

// The running boxes' names (`names`, when given: those, in that order; one that doesn't run
// is an error naming it).
std::vector<std::string> boxes_to_watch(boxrt::Runtime& rt, const std::vector<std::string>& names);

// nullopt when the box has stopped meanwhile.
std::optional<BoxSample> sample_box(boxrt::Runtime& rt, const std::string& name);

// What a row shows: the later sample's levels, and the CPU used between the two.
struct BoxUsage : BoxSample {
  double cpu_percent = 0;  // of one core, as docker stats: 200% is two cores busy
};
BoxUsage usage_between(const BoxSample& before, const BoxSample& now);

}  // namespace boxapp
