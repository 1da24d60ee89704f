#include "stats/stats_view.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace boxapp {
namespace {

__attribute__((format(printf, 1, 2))) std::string format(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

std::string or_dash(const std::optional<uint64_t>& v) {
  return v ? human_bytes(*v) : "-";
}

void remember(std::deque<double>& history, double value, size_t keep) {
  history.push_back(value);
  while (history.size() > keep)
    history.pop_front();
}

}  // namespace

std::string human_bytes(uint64_t bytes) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(units))
    v /= 1024, ++u;
  return u == 0 ? format("%lluB", static_cast<unsigned long long>(bytes))
                : format("%.1f%s", v, units[u]);
}

std::string sparkline(const std::deque<double>& values, double top) {
  static const char* const blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  std::string out;
  for (double v : values) {
    const double share = top > 0 ? std::clamp(v / top, 0.0, 1.0) : 0.0;
    out += blocks[static_cast<size_t>(share * 7 + 0.5)];
  }
  return out;
}

std::string stats_json(const std::vector<BoxUsage>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json j = {{"name", r.name},
                        {"cpu_percent", r.cpu_percent},
                        {"memory", {{"usage", r.memory}, {"limit", r.memory_limit}}},
                        {"pids", {{"current", r.pids}, {"limit", r.pids_limit}}},
                        {"block", {{"read", r.block_read}, {"write", r.block_write}}}};
    j["net"] = r.net_rx ? nlohmann::json{{"rx", *r.net_rx}, {"tx", *r.net_tx}} : nullptr;
    out.push_back(j);
  }
  return out.dump() + "\n";
}

std::string StatsTable::render(const std::vector<BoxUsage>& rows) {
  std::string out = format("%-20s %8s %-22s %7s %-21s %-21s", "NAME", "CPU %", "MEM USAGE / LIMIT",
                           "PIDS", "NET RX / TX", "BLOCK R / W");
  if (sparklines_) out += format("  %-12s  %-12s", "CPU", "MEM");
  out += "\n";
  for (const auto& r : rows) {
    const std::string mem =
        human_bytes(r.memory) + " / " + (r.memory_limit ? human_bytes(r.memory_limit) : "-");
    const std::string net = or_dash(r.net_rx) + " / " + or_dash(r.net_tx);
    const std::string blk = human_bytes(r.block_read) + " / " + human_bytes(r.block_write);
    out += format("%-20s %7.2f%% %-22s %7llu %-21s %-21s", r.name.c_str(), r.cpu_percent,
                  mem.c_str(), static_cast<unsigned long long>(r.pids), net.c_str(), blk.c_str());
    if (sparklines_) {
      auto& cpu = cpu_[r.name];
      auto& memory = memory_[r.name];
      remember(cpu, r.cpu_percent, kHistory);
      remember(memory, static_cast<double>(r.memory), kHistory);
      // CPU against one core (or more, when it used more); memory against its limit, or
      // its own peak when it has none.
      const double cpu_top = std::max(100.0, *std::max_element(cpu.begin(), cpu.end()));
      const double mem_top = r.memory_limit ? static_cast<double>(r.memory_limit)
                                            : *std::max_element(memory.begin(), memory.end());
      out += "  " + sparkline(cpu, cpu_top) + std::string(kHistory - cpu.size(), ' ') + "  " +
             sparkline(memory, mem_top);
    }
    out += "\n";
  }
  // Boxes gone since: their history with them.
  for (auto* h : {&cpu_, &memory_})
    std::erase_if(*h, [&](const auto& kv) {
      return std::none_of(rows.begin(), rows.end(),
                          [&](const BoxUsage& r) { return r.name == kv.first; });
    });
  return out;
}

}  // namespace boxapp
