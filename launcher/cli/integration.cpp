// boxapp desktop, systemd and stats: argument parsing and output only; the work is in
// desktop/ and stats/ of libboxapp.
#include <unistd.h>

#include <cstdio>
#include <map>
#include <thread>

#include "cli/boxapp_commands.hpp"
#include "desktop/menu_entries.hpp"
#include "desktop/user_units.hpp"
#include "run/box_runtime.hpp"
#include "stats/box_stats.hpp"
#include "stats/stats_view.hpp"
#include "util/error.hpp"

namespace boxapp_cli {
namespace {

using nlohmann::json;

int desktop_install(const Args& a) {
  if (a.all == !a.names.empty())
    throw boxrt::Error("desktop install: name the apps, or give --all for every app the host has");
  const auto boxes = a.all ? boxapp::menu_worthy_apps() : a.names;
  for (const auto& e : boxapp::install_menu_entries(boxes, a.replace))
    std::printf("%s: %s%s\n", e.box.c_str(), e.file.c_str(),
                e.replaces.empty() ? "" : (" (in place of " + e.replaces + ")").c_str());
  return 0;
}

int desktop_ls(bool as_json) {
  const auto entries = boxapp::list_menu_entries();
  if (as_json) {
    json out = json::array();
    for (const auto& e : entries)
      out.push_back({{"box", e.box}, {"name", e.name}, {"file", e.file}, {"replaces", e.replaces}});
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("%-20s %-32s %-20s %s\n", "BOX", "NAME", "REPLACES", "FILE");
  for (const auto& e : entries)
    std::printf("%-20s %-32s %-20s %s\n", e.box.c_str(), e.name.c_str(),
                e.replaces.empty() ? "-" : e.replaces.c_str(), e.file.c_str());
  return 0;
}

int systemd_install(const Args& a) {
  const auto u = boxapp::install_user_unit(a.name, a.now);
  if (u.template_written) std::printf("wrote %s\n", u.template_path.c_str());
  std::printf("%s: enabled%s\n", u.unit.c_str(), a.now ? " and started" : " (starts at login)");
  return 0;
}

// Samples every interval until ^C (or once more, --no-stream): CPU is what was used between
// two samples, so even one row needs two.
int watch_stats(const Args& a) {
  boxrt::Runtime rt = boxapp::box_runtime();
  const bool tty = !a.as_json && ::isatty(1);
  boxapp::StatsTable table(tty);
  std::map<std::string, boxapp::BoxSample> last;
  const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(a.interval));
  auto next = std::chrono::steady_clock::now();
  for (bool first = true;; first = false) {
    const auto names = boxapp::boxes_to_watch(rt, first ? a.names : std::vector<std::string>{});
    std::vector<boxapp::BoxUsage> rows;
    std::map<std::string, boxapp::BoxSample> now;
    for (const auto& n : names) {
      if (!first && !a.names.empty() && !last.count(n)) continue;  // only the named ones
      auto s = boxapp::sample_box(rt, n);
      if (!s) continue;
      if (auto it = last.find(n); it != last.end())
        rows.push_back(boxapp::usage_between(it->second, *s));
      now.emplace(n, std::move(*s));
    }
    if (!first) {
      std::string text = a.as_json ? boxapp::stats_json(rows) : table.render(rows);
      if (tty) text = "\033[H\033[2J" + text;  // in place, as top and docker stats redraw
      std::fputs(text.c_str(), stdout);
      std::fflush(stdout);
      if (a.no_stream || (!a.names.empty() && now.empty())) return 0;
    }
    last = std::move(now);
    next += interval;
    std::this_thread::sleep_until(next);
  }
}

}  // namespace

int run_integration_command(const Commands& c, const Args& a) {
  if (*c.desktop_install) return desktop_install(a);
  if (*c.desktop_uninstall) return boxapp::uninstall_menu_entries(a.names), 0;
  if (*c.desktop_ls) return desktop_ls(a.as_json);
  if (*c.systemd_install) return systemd_install(a);
  if (*c.systemd_uninstall) {
    boxapp::uninstall_user_unit(a.name, a.now);
    std::printf("%s: disabled\n", boxapp::unit_of(a.name).c_str());
    return 0;
  }
  if (*c.stats) return watch_stats(a);
  return -1;
}

}  // namespace boxapp_cli
