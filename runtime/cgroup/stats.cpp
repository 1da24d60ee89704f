// Container statistics in runc's `events --stats` shape, from the cgroup's files where the
// container has a cgroup and the controller is there, else from /proc for its processes.
#include "cgroup/stats.hpp"

#include <unistd.h>

#include <sstream>

#include "util/error.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

using json = nlohmann::json;

// "key value" lines (cpu.stat, memory.stat, memory.events) as a map.
std::map<std::string, uint64_t> flat_keyed(const std::string& text) {
  std::map<std::string, uint64_t> out;
  std::istringstream in(text);
  std::string key;
  uint64_t value;
  while (in >> key >> value)
    out[key] = value;
  return out;
}

// A single number, or "max" as runc reports it (the largest uint64).
std::optional<uint64_t> single_value(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  if (text->starts_with("max")) return UINT64_MAX;
  try {
    return std::stoull(*text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

struct ProcTotals {
  uint64_t cpu_user_ns = 0, cpu_kernel_ns = 0, rss = 0, read_bytes = 0, write_bytes = 0;
  uint64_t procs = 0;
};

ProcTotals proc_totals(const std::vector<int>& pids) {
  ProcTotals t;
  const uint64_t tick_ns = 1000000000ULL / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  for (int pid : pids) {
    const std::string dir = "/proc/" + std::to_string(pid);
    auto stat = try_read_file(dir + "/stat");
    if (!stat) continue;
    ++t.procs;
    // Fields after the command (which may hold spaces): state is field 3, utime 14.
    std::istringstream f(stat->substr(stat->rfind(')') + 2));
    std::string skip;
    for (int i = 3; i < 14; ++i)
      f >> skip;
    uint64_t utime = 0, stime = 0, cutime = 0, cstime = 0;
    f >> utime >> stime >> cutime >> cstime;
    t.cpu_user_ns += (utime + cutime) * tick_ns;
    t.cpu_kernel_ns += (stime + cstime) * tick_ns;
    if (auto statm = try_read_file(dir + "/statm")) {
      std::istringstream m(*statm);
      uint64_t size = 0, resident = 0;
      m >> size >> resident;
      t.rss += resident * page;
    }
    if (auto io = try_read_file(dir + "/io")) {
      auto kv = flat_keyed([&] {
        std::string s = *io;
        for (auto& c : s)
          if (c == ':') c = ' ';
        return s;
      }());
      t.read_bytes += kv["read_bytes"];
      t.write_bytes += kv["write_bytes"];
    }
  }
  return t;
}

json cpu_stats(const std::optional<std::string>& cg, const ProcTotals& p) {
  json usage = {
      {"percpu", json::array()}, {"percpu_kernel", json::array()}, {"percpu_user", json::array()}};
  json throttling = {{"periods", 0}, {"throttled_periods", 0}, {"throttled_time", 0}};
  // cpu.stat is a core file: there even without the cpu controller.
  if (auto text = cg ? try_read_file(*cg + "/cpu.stat") : std::nullopt) {
    auto s = flat_keyed(*text);
    usage["total"] = s["usage_usec"] * 1000;
    usage["user"] = s["user_usec"] * 1000;
    usage["kernel"] = s["system_usec"] * 1000;
    throttling = {{"periods", s["nr_periods"]},
                  {"throttled_periods", s["nr_throttled"]},
                  {"throttled_time", s["throttled_usec"] * 1000}};
  } else {
    usage["total"] = p.cpu_user_ns + p.cpu_kernel_ns;
    usage["user"] = p.cpu_user_ns;
    usage["kernel"] = p.cpu_kernel_ns;
  }
  return {{"usage", usage}, {"throttling", throttling}};
}

json memory_entry(uint64_t usage, uint64_t limit, uint64_t max, uint64_t failcnt) {
  return {{"usage", usage}, {"max", max}, {"failcnt", failcnt}, {"limit", limit}};
}

json memory_stats(const std::optional<std::string>& cg, const ProcTotals& p) {
  auto current = cg ? single_value(try_read_file(*cg + "/memory.current")) : std::nullopt;
  if (!current) {
    return {{"cache", 0},
            {"usage", memory_entry(p.rss, 0, 0, 0)},
            {"swap", memory_entry(0, 0, 0, 0)},
            {"kernel", memory_entry(0, 0, 0, 0)},
            {"kernelTCP", memory_entry(0, 0, 0, 0)},
            {"raw", {{"rss", p.rss}}}};
  }
  const std::string& d = *cg;
  auto raw = flat_keyed(try_read_file(d + "/memory.stat").value_or(""));
  auto events = flat_keyed(try_read_file(d + "/memory.events").value_or(""));
  uint64_t limit = single_value(try_read_file(d + "/memory.max")).value_or(0);
  uint64_t peak = single_value(try_read_file(d + "/memory.peak")).value_or(0);
  uint64_t swap = single_value(try_read_file(d + "/memory.swap.current")).value_or(0);
  uint64_t swap_limit = single_value(try_read_file(d + "/memory.swap.max")).value_or(0);
  // As runc: swap is reported as memory plus swap.
  uint64_t swap_total_limit =
      limit == UINT64_MAX || swap_limit == UINT64_MAX ? UINT64_MAX : limit + swap_limit;
  return {{"cache", raw["file"]},
          {"usage", memory_entry(*current, limit, peak, events["max"])},
          {"swap", memory_entry(*current + swap, swap_total_limit, 0, 0)},
          {"kernel", memory_entry(raw["kernel"], 0, 0, 0)},
          {"kernelTCP", memory_entry(raw["sock"], 0, 0, 0)},
          {"raw", raw}};
}

json pids_stats(const std::optional<std::string>& cg, const ProcTotals& p) {
  auto current = cg ? single_value(try_read_file(*cg + "/pids.current")) : std::nullopt;
  if (!current) return {{"current", p.procs}, {"limit", 0}};
  uint64_t limit = single_value(try_read_file(*cg + "/pids.max")).value_or(0);
  return {{"current", *current}, {"limit", limit == UINT64_MAX ? 0 : limit}};
}

json io_entry(uint64_t major, uint64_t minor, const char* op, uint64_t value) {
  return {{"major", major}, {"minor", minor}, {"op", op}, {"value", value}};
}

json blkio_stats(const std::optional<std::string>& cg, const ProcTotals& p) {
  json bytes = json::array(), ops = json::array();
  auto text = cg ? try_read_file(*cg + "/io.stat") : std::nullopt;
  if (!text) {
    bytes.push_back(io_entry(0, 0, "Read", p.read_bytes));
    bytes.push_back(io_entry(0, 0, "Write", p.write_bytes));
    bytes.push_back(io_entry(0, 0, "Total", p.read_bytes + p.write_bytes));
    return {{"io_service_bytes_recursive", bytes}};
  }
  // "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" per device.
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string dev, kv;
    f >> dev;
    uint64_t major = 0, minor = 0;
    std::sscanf(dev.c_str(), "%lu:%lu", &major, &minor);
    std::map<std::string, uint64_t> v;
    while (f >> kv) {
      size_t eq = kv.find('=');
      if (eq != std::string::npos) v[kv.substr(0, eq)] = std::stoull(kv.substr(eq + 1));
    }
    bytes.push_back(io_entry(major, minor, "Read", v["rbytes"]));
    bytes.push_back(io_entry(major, minor, "Write", v["wbytes"]));
    ops.push_back(io_entry(major, minor, "Read", v["rios"]));
    ops.push_back(io_entry(major, minor, "Write", v["wios"]));
  }
  return {{"io_service_bytes_recursive", bytes}, {"io_serviced_recursive", ops}};
}

json hugetlb_stats(const std::optional<std::string>& cg) {
  json out = json::object();
  if (!cg) return out;
  for (const char* size : {"2MB", "1GB", "64KB", "32MB", "16GB"}) {
    const std::string base = *cg + "/hugetlb." + size;
    auto usage = single_value(try_read_file(base + ".current"));
    if (!usage) continue;
    auto events = flat_keyed(try_read_file(base + ".events").value_or(""));
    out[size] = {{"usage", *usage}, {"max", 0}, {"failcnt", events["max"]}};
  }
  return out;
}

// /proc/PID/net/dev: "  eth0: RXBYTES RXPACKETS RXERRS RXDROP FIFO FRAME COMPRESSED MULTICAST
// TXBYTES TXPACKETS TXERRS TXDROP ...", after two header lines.
json network_interfaces(int pid) {
  json out = json::array();
  auto text = try_read_file("/proc/" + std::to_string(pid) + "/net/dev");
  if (!text) return out;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name == "lo") continue;
    std::istringstream f(line.substr(colon + 1));
    uint64_t v[16] = {};
    for (auto& x : v)
      f >> x;
    out.push_back({{"name", name},
                   {"rx_bytes", v[0]},
                   {"rx_packets", v[1]},
                   {"rx_errors", v[2]},
                   {"rx_dropped", v[3]},
                   {"tx_bytes", v[8]},
                   {"tx_packets", v[9]},
                   {"tx_errors", v[10]},
                   {"tx_dropped", v[11]}});
  }
  return out;
}

}  // namespace

json container_stats(const std::optional<std::string>& cgroup, const std::vector<int>& pids,
                     int init_pid) {
  json out = container_stats(cgroup, pids);
  // The container's own network namespace only: the host's counters are not its own.
  if (init_pid > 0 && namespace_inode(init_pid, "net") != namespace_inode(::getpid(), "net"))
    out["network_interfaces"] = network_interfaces(init_pid);
  return out;
}

json container_stats(const std::optional<std::string>& cgroup, const std::vector<int>& pids) {
  // /proc only for what the cgroup can't tell (three reads per process, at every sample of
  // `boxapp stats`): cpu.stat is always there, the rest with their controllers.
  const bool from_cgroup = cgroup && ::access((*cgroup + "/memory.current").c_str(), F_OK) == 0 &&
                           ::access((*cgroup + "/pids.current").c_str(), F_OK) == 0 &&
                           ::access((*cgroup + "/io.stat").c_str(), F_OK) == 0;
  const ProcTotals p = from_cgroup ? ProcTotals{} : proc_totals(pids);
  return {{"cpu", cpu_stats(cgroup, p)},      {"memory", memory_stats(cgroup, p)},
          {"pids", pids_stats(cgroup, p)},    {"blkio", blkio_stats(cgroup, p)},
          {"hugetlb", hugetlb_stats(cgroup)}, {"intel_rdt", json::object()},
          {"network_interfaces", nullptr}};
}

std::optional<uint64_t> oom_kills(const std::string& cgroup) {
  auto text = try_read_file(cgroup + "/memory.events");
  if (!text) return std::nullopt;
  return flat_keyed(*text)["oom_kill"];
}

}  // namespace boxrt
