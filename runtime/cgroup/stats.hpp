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
// And, for a container with a network namespace of its own, network_interfaces (runc's
// field) from its init's /proc/PID/net/dev: every interface but lo, as runc reports them.
nlohmann::json container_stats(const std::optional<std::string>& cgroup,
                               const std::vector<int>& pids, int init_pid);

// memory.events' oom_kill counter; nullopt without a memory controller.
std::optional<uint64_t> oom_kills(const std::string& cgroup);

}  // namespace boxrt
