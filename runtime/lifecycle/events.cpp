// stats and events: runc's stats document, and a container's OOM kills, stats and exit as
// they happen.
#include <poll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cgroup/stats.hpp"
#include "lifecycle/container.hpp"
#include "lifecycle/runtime.hpp"
#include "util/error.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxrt {

nlohmann::json Runtime::stats(const std::string& id) const {
  validate_id(id);
  ContainerRecord r = store_.load(id);
  if (live_status(store_, r) == oci::Status::stopped)
    throw Error("container " + backquoted(id) + " is not running");
  std::optional<std::string> cg;
  if (!r.cgroup.empty()) cg = r.cgroup;
  return container_stats(cg, pids(id), r.state.pid.value_or(0));
}

void Runtime::events(const std::string& id, int interval_ms,
                     const std::function<void(const nlohmann::json&)>& emit) const {
  validate_id(id);
  ContainerRecord r = store_.load(id);
  unique_fd pidfd = init_pidfd(r);
  if (!pidfd) throw Error("container " + backquoted(id) + " is not running");

  // OOM kills show in memory.events, which signals changes with POLLPRI.
  unique_fd mem_events;
  std::optional<uint64_t> ooms;
  if (!r.cgroup.empty()) {
    ooms = oom_kills(r.cgroup);
    if (ooms) mem_events.reset(::open((r.cgroup + "/memory.events").c_str(), O_RDONLY | O_CLOEXEC));
  }
  unique_fd timer;
  if (interval_ms > 0) {
    timer.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC));
    if (!timer) throw_errno("timerfd_create");
    struct itimerspec its = {};
    its.it_interval.tv_sec = interval_ms / 1000;
    its.it_interval.tv_nsec = (interval_ms % 1000) * 1000000L;
    its.it_value = its.it_interval;
    check(::timerfd_settime(timer.get(), 0, &its, nullptr), "timerfd_settime");
  }
  auto report_ooms = [&] {
    if (!ooms) return;
    std::optional<uint64_t> now = oom_kills(r.cgroup);
    for (uint64_t i = *ooms; now && i < *now; ++i)
      emit({{"type", "oom"}, {"id", id}});
    if (now) ooms = now;
  };
  for (;;) {
    struct pollfd p[3] = {{pidfd.get(), POLLIN, 0},
                          {mem_events ? mem_events.get() : -1, POLLPRI, 0},
                          {timer ? timer.get() : -1, POLLIN, 0}};
    if (retry_eintr([&] { return ::poll(p, 3, -1); }) < 0) throw_errno("poll");
    if (p[1].revents & (POLLPRI | POLLERR)) report_ooms();
    if (p[2].revents & POLLIN) {
      uint64_t expirations;
      (void)!::read(timer.get(), &expirations, sizeof expirations);
      try {
        emit({{"type", "stats"}, {"id", id}, {"data", stats(id)}});
      } catch (const Error&) {
        // stopped between the tick and the read: the exit event follows
      }
    }
    if (p[0].revents & POLLIN) {
      report_ooms();  // an OOM kill of the init shows just before its exit
      emit({{"type", "exit"}, {"id", id}, {"data", {{"pid", *r.state.pid}}}});
      return;
    }
  }
}

}  // namespace boxrt
