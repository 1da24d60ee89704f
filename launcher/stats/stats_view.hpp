// How `boxapp stats` shows its rows: a table as docker stats prints it (with sparklines of
// the last samples' CPU and memory on a terminal), or a JSON array per sample.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "stats/box_stats.hpp"

namespace boxapp {

// 1.5KiB, 12.3MiB, as docker stats writes sizes.
std::string human_bytes(uint64_t bytes);

// One block character per value (▁ … █), scaled to `top`.
std::string sparkline(const std::deque<double>& values, double top);

// One sample's rows as a JSON array (one line).
std::string stats_json(const std::vector<BoxUsage>& rows);

class StatsTable {
 public:
  explicit StatsTable(bool sparklines) : sparklines_(sparklines) {}
  // The table of this sample; with sparklines, each box's history is kept for the next.
  std::string render(const std::vector<BoxUsage>& rows);

 private:
  static constexpr size_t kHistory = 12;
  bool sparklines_;
  std::map<std::string, std::deque<double>> cpu_, memory_;
};

}  // namespace boxapp
