// linux.resources → cgroup v2 interface files. The conversions are runc's, so a spec means
// the same under either runtime.
#include <algorithm>
#include <cctype>

#include "cgroup/cgroup.hpp"
#include "util/error.hpp"

namespace boxrt {
namespace {

const std::string kRes = "linux.resources";

std::string max_or(int64_t v) {
  return v < 0 ? "max" : std::to_string(v);
}

void add(std::vector<CgroupWrite>& out, std::string file, std::string value, std::string field) {
  out.push_back({std::move(file), std::move(value), std::move(field)});
}

// runc's memory+swap → swap-only value.
std::string swap_max(const oci::MemoryResources& m) {
  const int64_t swap = *m.swap;
  const int64_t limit = m.limit.value_or(0);
  if (swap == -1) return "max";
  if (limit == 0 || limit == -1)
    throw Error(kRes + ".memory.swap: needs memory.limit (cgroup v2 limits swap on its own)");
  if (swap < limit)
    throw Error(kRes + ".memory.swap: " + std::to_string(swap) +
                " is memory plus swap and must be >= memory.limit " + std::to_string(limit));
  return std::to_string(swap - limit);
}

void memory_writes(const oci::MemoryResources& m, std::vector<CgroupWrite>& out,
                   std::vector<std::string>& ignored) {
  const std::string f = kRes + ".memory";
  if (m.limit && *m.limit != 0) add(out, "memory.max", max_or(*m.limit), f + ".limit");
  if (m.reservation && *m.reservation != 0)
    add(out, "memory.low", max_or(*m.reservation), f + ".reservation");
  if (m.swap && *m.swap != 0) add(out, "memory.swap.max", swap_max(m), f + ".swap");
  if (m.kernel) ignored.push_back(f + ".kernel: cgroup v2 has no separate kernel memory limit");
  if (m.kernel_tcp) ignored.push_back(f + ".kernelTCP: cgroup v2 has no TCP memory limit");
  if (m.swappiness) ignored.push_back(f + ".swappiness: cgroup v2 has no per-cgroup swappiness");
  if (m.disable_oom_killer.value_or(false))
    ignored.push_back(f + ".disableOOMKiller: cgroup v2 can't turn the OOM killer off");
}

void cpu_writes(const oci::CpuResources& c, std::vector<CgroupWrite>& out,
                std::vector<std::string>& ignored) {
  const std::string f = kRes + ".cpu";
  if (c.shares && *c.shares != 0) {
    // shares [2, 262144] onto weight [1, 10000]
    uint64_t s = std::clamp<uint64_t>(*c.shares, 2, 262144);
    add(out, "cpu.weight", std::to_string(1 + ((s - 2) * 9999) / 262142), f + ".shares");
  }
  if (c.quota || c.period) {
    std::string quota = c.quota && *c.quota > 0 ? std::to_string(*c.quota) : "max";
    add(out, "cpu.max", quota + " " + std::to_string(c.period.value_or(100000)),
        f + (c.quota ? ".quota" : ".period"));
  }
  if (c.burst) add(out, "cpu.max.burst", std::to_string(*c.burst), f + ".burst");
  if (c.idle) add(out, "cpu.idle", std::to_string(*c.idle), f + ".idle");
  if (c.cpus && !c.cpus->empty()) add(out, "cpuset.cpus", *c.cpus, f + ".cpus");
  if (c.mems && !c.mems->empty()) add(out, "cpuset.mems", *c.mems, f + ".mems");
  if (c.realtime_runtime || c.realtime_period)
    ignored.push_back(f + ".realtimeRuntime: cgroup v2 has no realtime CPU limits");
}

std::string device(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

// blkio weight [10, 1000] onto io weight [1, 10000]
std::string io_weight(uint16_t w) {
  unsigned v = std::clamp<unsigned>(w, 10, 1000);
  return std::to_string(1 + (v - 10) * 9999 / 990);
}

void block_io_writes(const oci::BlockIoResources& b, std::vector<CgroupWrite>& out,
                     std::vector<std::string>& ignored) {
  const std::string f = kRes + ".blockIO";
  if (b.weight && *b.weight != 0)
    add(out, "io.weight", "default " + io_weight(*b.weight), f + ".weight");
  if (b.leaf_weight) ignored.push_back(f + ".leafWeight: cgroup v2 has no leaf weights");
  const auto& wd = oci::items(b.weight_device);
  for (size_t i = 0; i < wd.size(); ++i)
    if (wd[i].weight)
      add(out, "io.weight", device(wd[i].major, wd[i].minor) + " " + io_weight(*wd[i].weight),
          f + ".weightDevice[" + std::to_string(i) + "]");
  const std::pair<const char*, const std::optional<std::vector<oci::ThrottleDevice>>*> limits[] = {
      {"rbps", &b.throttle_read_bps_device},
      {"wbps", &b.throttle_write_bps_device},
      {"riops", &b.throttle_read_iops_device},
      {"wiops", &b.throttle_write_iops_device}};
  const char* names[] = {"throttleReadBpsDevice", "throttleWriteBpsDevice",
                         "throttleReadIOPSDevice", "throttleWriteIOPSDevice"};
  for (size_t k = 0; k < 4; ++k) {
    const auto& list = oci::items(*limits[k].second);
    for (size_t i = 0; i < list.size(); ++i) {
      uint64_t rate = list[i].rate.value_or(0);
      add(out, "io.max",
          device(list[i].major, list[i].minor) + " " + limits[k].first + "=" +
              (rate ? std::to_string(rate) : "max"),
          f + "." + names[k] + "[" + std::to_string(i) + "]");
    }
  }
}

bool valid_page_size(const std::string& s) {
  size_t digits = 0;
  while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits])))
    ++digits;
  const std::string unit = s.substr(digits);
  return digits > 0 && (unit == "KB" || unit == "MB" || unit == "GB");
}

bool valid_unified_key(const std::string& k) {
  return !k.empty() && k.find('/') == std::string::npos && k.find('.') != std::string::npos &&
         k.front() != '.';
}

}  // namespace

std::vector<CgroupWrite> resource_writes(const oci::Resources& r,
                                         std::vector<std::string>& ignored) {
  std::vector<CgroupWrite> out;
  if (r.memory) memory_writes(*r.memory, out, ignored);
  if (r.cpu) cpu_writes(*r.cpu, out, ignored);
  if (r.pids)
    add(out, "pids.max", r.pids->limit > 0 ? std::to_string(r.pids->limit) : "max",
        kRes + ".pids.limit");
  if (r.block_io) block_io_writes(*r.block_io, out, ignored);
  const auto& huge = oci::items(r.hugepage_limits);
  for (size_t i = 0; i < huge.size(); ++i) {
    const std::string f = kRes + ".hugepageLimits[" + std::to_string(i) + "]";
    if (!valid_page_size(huge[i].page_size))
      throw Error(f + ".pageSize: " + backquoted(huge[i].page_size) +
                  " is not a page size such as 2MB or 1GB");
    add(out, "hugetlb." + huge[i].page_size + ".max", std::to_string(huge[i].limit), f + ".limit");
  }
  if (r.network && (r.network->class_id || !oci::items(r.network->priorities).empty()))
    ignored.push_back(kRes + ".network: cgroup v2 has no net_cls or net_prio");
  if (r.rdma)
    for (const auto& [dev, lim] : *r.rdma) {
      std::string v = dev;
      if (lim.hca_handles) v += " hca_handle=" + std::to_string(*lim.hca_handles);
      if (lim.hca_objects) v += " hca_object=" + std::to_string(*lim.hca_objects);
      add(out, "rdma.max", v, kRes + ".rdma[\"" + dev + "\"]");
    }
  if (r.unified)
    for (const auto& [key, value] : *r.unified) {
      const std::string f = kRes + ".unified[\"" + key + "\"]";
      if (!valid_unified_key(key))
        throw Error(f + ": not a cgroup interface file name such as memory.high");
      add(out, key, value, f);
    }
  return out;
}

bool requests_limits(const oci::Spec& spec) {
  if (!spec.linux || !spec.linux->resources) return false;
  const oci::Resources& r = *spec.linux->resources;
  std::vector<std::string> ignored;
  try {
    return !resource_writes(r, ignored).empty() || !ignored.empty();
  } catch (const Error&) {
    return true;  // an invalid request is still a request; applying it reports the error
  }
}

void require_resources_as_runc(oci::Spec& spec) {
  auto& notes = spec.annotations ? *spec.annotations : spec.annotations.emplace();
  if (notes.count(kRequiredAnnotation)) return;  // the spec's own word
  const bool names_path =
      spec.linux && spec.linux->cgroups_path && !spec.linux->cgroups_path->empty();
  if (names_path || requests_limits(spec)) notes[kRequiredAnnotation] = kRequiredAsRunc;
}

bool limits_required(const oci::Spec& spec) {
  if (!spec.annotations) return false;
  auto it = spec.annotations->find(kRequiredAnnotation);
  return it != spec.annotations->end() && (it->second == "true" || it->second == kRequiredAsRunc);
}

bool problem_is_fatal(const oci::Spec& spec, const std::string& problem) {
  if (!limits_required(spec)) return false;
  // runc applies a controller the host keeps on cgroup v1, which we can't yet: failing
  // there would refuse what runs under runc (rootful podman's default pids limit, say).
  const auto& notes = *spec.annotations;
  const bool as_runc = notes.at(kRequiredAnnotation) == kRequiredAsRunc;
  return !(as_runc && problem.find(kHeldByV1) != std::string::npos);
}

}  // namespace boxrt
