// display = "x11-isolated": the box's own X server, nested in a window on the user's display
// (Xephyr), so the app can't read other windows or keystrokes. A keeper process starts it
// with a cookie of the box's own, and stops it when the box ends (or never starts).
#pragma once

#include <sys/types.h>

#include <string>

#include "host/host_facts.hpp"
#include "keeper/box_keeper.hpp"

namespace boxapp {

class NestedDisplay {
 public:
  // Starts Xephyr on a free display number, its cookie in BOX_DIR/Xauthority, and waits
  // until it listens. Throws naming what is missing (Xephyr, a display to show it on).
  static NestedDisplay start(const std::string& box_dir, const HostFacts& host);
  NestedDisplay(NestedDisplay&&) noexcept = default;
  NestedDisplay& operator=(NestedDisplay&&) noexcept = default;
  // Without watch(): the nested server goes at once.
  ~NestedDisplay() = default;

  const std::string& display() const { return display_; }  // ":N"
  // The keeper stops the server when this process (the box's) ends.
  void watch(pid_t box_pid);

 private:
  NestedDisplay() = default;
  std::string display_;
  BoxKeeper keeper_;
};

}  // namespace boxapp
