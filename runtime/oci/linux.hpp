// The `linux` section of the OCI runtime-spec v1.2 model. See spec.hpp for conventions.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace oci {

using json = nlohmann::json;

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;  // > 0
  json extra;
  bool operator==(const IdMapping&) const = default;
};

struct Namespace {
  std::string type;  // mount pid network uts ipc user cgroup time
  std::optional<std::string> path;
  json extra;
  bool operator==(const Namespace&) const = default;
};

struct TimeOffset {
  std::optional<int64_t> secs;
  std::optional<uint32_t> nanosecs;
  json extra;
  bool operator==(const TimeOffset&) const = default;
};

struct TimeOffsets {
  std::optional<TimeOffset> boottime, monotonic;
  json extra;
  bool operator==(const TimeOffsets&) const = default;
};

struct Device {
  std::string type;  // c b u p
  std::string path;  // absolute
  std::optional<int64_t> major, minor;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid, gid;
  json extra;
  bool operator==(const Device&) const = default;
};

struct NetDevice {
  std::optional<std::string> name;
  json extra;
  bool operator==(const NetDevice&) const = default;
};

struct DeviceRule {  // linux.resources.devices[]
  bool allow = false;
  std::optional<std::string> type;  // a c b
  std::optional<int64_t> major, minor;
  std::optional<std::string> access;  // subset of "rwm"
  json extra;
  bool operator==(const DeviceRule&) const = default;
};

struct MemoryResources {
  std::optional<int64_t> limit, reservation, swap, kernel, kernel_tcp;
  std::optional<uint64_t> swappiness;
  std::optional<bool> disable_oom_killer, use_hierarchy, check_before_update;
  json extra;
  bool operator==(const MemoryResources&) const = default;
};

struct CpuResources {
  std::optional<uint64_t> shares, period, burst, realtime_period;
  std::optional<int64_t> quota, realtime_runtime, idle;
  std::optional<std::string> cpus, mems;
  json extra;
  bool operator==(const CpuResources&) const = default;
};

struct PidsResources {
  int64_t limit = 0;
  json extra;
  bool operator==(const PidsResources&) const = default;
};

struct WeightDevice {
  int64_t major = 0, minor = 0;
  std::optional<uint16_t> weight, leaf_weight;
  json extra;
  bool operator==(const WeightDevice&) const = default;
};

struct ThrottleDevice {
  int64_t major = 0, minor = 0;
  std::optional<uint64_t> rate;
  json extra;
  bool operator==(const ThrottleDevice&) const = default;
};

struct BlockIoResources {
  std::optional<uint16_t> weight, leaf_weight;
  std::optional<std::vector<WeightDevice>> weight_device;
  std::optional<std::vector<ThrottleDevice>> throttle_read_bps_device, throttle_write_bps_device,
      throttle_read_iops_device, throttle_write_iops_device;
  json extra;
  bool operator==(const BlockIoResources&) const = default;
};

struct HugepageLimit {
  std::string page_size;  // "2MB"
  uint64_t limit = 0;
  json extra;
  bool operator==(const HugepageLimit&) const = default;
};

struct InterfacePriority {
  std::string name;
  uint32_t priority = 0;
  json extra;
  bool operator==(const InterfacePriority&) const = default;
};

struct NetworkResources {
  std::optional<uint32_t> class_id;
  std::optional<std::vector<InterfacePriority>> priorities;
  json extra;
  bool operator==(const NetworkResources&) const = default;
};

struct RdmaLimit {
  std::optional<uint32_t> hca_handles, hca_objects;
  json extra;
  bool operator==(const RdmaLimit&) const = default;
};

struct Resources {
  std::optional<std::vector<DeviceRule>> devices;
  std::optional<MemoryResources> memory;
  std::optional<CpuResources> cpu;
  std::optional<PidsResources> pids;
  std::optional<BlockIoResources> block_io;
  std::optional<std::vector<HugepageLimit>> hugepage_limits;
  std::optional<NetworkResources> network;
  std::optional<std::map<std::string, RdmaLimit>> rdma;
  std::optional<std::map<std::string, std::string>> unified;
  json extra;
  bool operator==(const Resources&) const = default;
};

struct SyscallArg {
  uint32_t index = 0;
  uint64_t value = 0;
  std::optional<uint64_t> value_two;
  std::string op;  // SCMP_CMP_*
  json extra;
  bool operator==(const SyscallArg&) const = default;
};

struct SyscallRule {
  std::vector<std::string> names;  // at least one
  std::string action;              // SCMP_ACT_*
  std::optional<uint32_t> errno_ret;
  std::optional<std::vector<SyscallArg>> args;
  json extra;
  bool operator==(const SyscallRule&) const = default;
};

struct Seccomp {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::optional<std::vector<std::string>> architectures;
  std::optional<std::vector<std::string>> flags;
  std::optional<std::string> listener_path, listener_metadata;
  std::optional<std::vector<SyscallRule>> syscalls;
  json extra;
  bool operator==(const Seccomp&) const = default;
};

struct Personality {
  std::optional<std::string> domain;  // LINUX | LINUX32
  std::optional<std::vector<std::string>> flags;
  json extra;
  bool operator==(const Personality&) const = default;
};

struct Linux {
  std::optional<std::vector<Namespace>> namespaces;
  std::optional<std::vector<IdMapping>> uid_mappings, gid_mappings;
  std::optional<TimeOffsets> time_offsets;
  std::optional<std::vector<Device>> devices;
  std::optional<std::map<std::string, NetDevice>> net_devices;
  std::optional<std::string> cgroups_path;
  std::optional<Resources> resources;
  std::optional<std::string> rootfs_propagation;  // private shared slave unbindable
  std::optional<Seccomp> seccomp;
  std::optional<std::map<std::string, std::string>> sysctl;
  std::optional<std::vector<std::string>> masked_paths, readonly_paths;
  std::optional<std::string> mount_label;
  std::optional<Personality> personality;
  std::optional<json> intel_rdt;  // passed through untouched: no Intel RDT support here
  json extra;
  bool operator==(const Linux&) const = default;
};

}  // namespace oci
