// Resource usage of a container, shaped as runc's `events --stats` data.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace boxrt {

// cpu, memory, pids, blkio and hugetlb from the container's cgroup where it has one and the
// controller is there; CPU time, RSS, I/O and the process count of `pids` from /proc where
// not, so stats work on any host.
nlohmann::json container_stats(const std::optional<std::string>& cgroup,
                               const std::vector<int>& pids);

// memory.events' oom_kill counter; nullopt without a memory controller.
std::optional<uint64_t> oom_kills(const std::string& cgroup);

}  // namespace boxrt
