// A helper that lives exactly as long as its box: Xephyr for an isolated display, the D-Bus
// proxy of a filtered bus. A keeper process (its own session, deaf to ^C and hangups, none
// of boxapp's descriptors) starts the helper, tells the start whether it is ready, and
// stops it when the box's process ends; when the start goes away first (an error, a killed
// boxapp), it stops the helper at once. So no helper outlives its box, detached or not.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "util/unique_fd.hpp"

namespace boxapp {

struct KeptHelper {
  // Runs in the keeper: starts the helper and waits until it serves. Returns what the
  // start should hear ("" is fine), or throws boxrt::Error saying why it failed.
  std::function<std::string()> start;
  // Runs in the keeper once the box ends (or the start is gone): stops the helper.
  std::function<void()> stop;
};

class BoxKeeper {
 public:
  // Forks the keeper, titled `title` in ps, keeping only `keep` of our descriptors (the
  // helper's own ends), and has it start the helper.
  static BoxKeeper start(const char* title, const KeptHelper& helper, std::vector<int> keep = {});
  BoxKeeper() = default;
  BoxKeeper(BoxKeeper&&) noexcept = default;
  BoxKeeper& operator=(BoxKeeper&&) noexcept = default;

  // The helper's answer, waiting at most `timeout_ms`; throws its reason when it failed.
  std::string ready(int timeout_ms);
  // The keeper stops the helper when the box's process (`box_pid`) ends; ours is done.
  void watch(pid_t box_pid);

 private:
  boxrt::unique_fd sock_;
};

}  // namespace boxapp
