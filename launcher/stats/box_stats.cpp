#include "stats/box_stats.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "profile/profile.hpp"
#include "util/error.hpp"

namespace boxapp {
namespace {

using nlohmann::json;

uint64_t number(const json& j, const json::json_pointer& at) {
  return j.contains(at) && j.at(at).is_number_unsigned() ? j.at(at).get<uint64_t>() : 0;
}

// "max" and absent limits read back as 0 or 2^64-1 (no limit): both are none here.
uint64_t limit(uint64_t v) {
  return v >= (uint64_t{1} << 62) ? 0 : v;
}

}  // namespace

std::vector<std::string> boxes_to_watch(boxrt::Runtime& rt, const std::vector<std::string>& names) {
  std::vector<std::string> running;
  for (const auto& v : rt.list())
    if (v.state.status != oci::Status::stopped) running.push_back(box_name_of_id(v.state.id));
  if (names.empty()) return running;
  for (const auto& n : names)
    if (std::find(running.begin(), running.end(), n) == running.end())
      throw boxrt::Error("no running box " + boxrt::backquoted(n) + " (boxapp ps lists them)");
  return names;
}

std::optional<BoxSample> sample_box(boxrt::Runtime& rt, const std::string& name) {
  json s;
  try {
    s = rt.stats(box_id(name));
  } catch (const boxrt::Error&) {
    return std::nullopt;  // stopped, or removed, since it was listed
  }
  BoxSample b;
  b.name = name;
  b.at = std::chrono::steady_clock::now();
  b.cpu_ns = number(s, "/cpu/usage/total"_json_pointer);
  // As docker stats: less the page cache the kernel may drop at once (inactive_file).
  b.memory = number(s, "/memory/usage/usage"_json_pointer);
  const uint64_t inactive = number(s, "/memory/raw/inactive_file"_json_pointer);
  b.memory -= std::min(b.memory, inactive);
  b.memory_limit = limit(number(s, "/memory/usage/limit"_json_pointer));
  b.pids = number(s, "/pids/current"_json_pointer);
  b.pids_limit = limit(number(s, "/pids/limit"_json_pointer));
  if (s.contains("network_interfaces") && s["network_interfaces"].is_array()) {
    b.net_rx = b.net_tx = 0;
    for (const auto& i : s["network_interfaces"]) {
      *b.net_rx += i.value("rx_bytes", uint64_t{0});
      *b.net_tx += i.value("tx_bytes", uint64_t{0});
    }
  }
  for (const auto& e : s["blkio"].value("io_service_bytes_recursive", json::array())) {
    const std::string op = e.value("op", "");
    if (op == "Read") b.block_read += e.value("value", uint64_t{0});
    if (op == "Write") b.block_write += e.value("value", uint64_t{0});
  }
  return b;
}

BoxUsage usage_between(const BoxSample& before, const BoxSample& now) {
  BoxUsage u;
  static_cast<BoxSample&>(u) = now;
  const double seconds = std::chrono::duration<double>(now.at - before.at).count();
  if (seconds > 0 && now.cpu_ns >= before.cpu_ns)
    u.cpu_percent = static_cast<double>(now.cpu_ns - before.cpu_ns) / 1e9 / seconds * 100;
  return u;
}

}  // namespace boxapp
