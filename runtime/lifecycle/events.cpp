// pause, resume, update, stats and events: the operations on a container's cgroup.
#include <poll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <chrono>

#include "cgroup/cgroup.hpp"
#include "cgroup/stats.hpp"
#include "lifecycle/runtime.hpp"
#include "util/error.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

// The record of a live container that has a cgroup, for an operation that needs one.
ContainerRecord with_cgroup(const StateStore& store, const std::string& id, const char* op) {
  validate_id(id);
  ContainerRecord r = store.load(id);
  if (live_status(store, r) == oci::Status::stopped)
    throw Error("container " + backquoted(id) + " is not running");
  if (r.cgroup.empty())
    throw Error("container " + backquoted(id) + " has no cgroup, which " + op +
                " needs: this host gave it no cgroup v2 tree to write (see the warning at "
                "create, or run with --debug)");
  return r;
}

}  // namespace

void Runtime::pause(const std::string& id) {
  FileLock lock = store_.lock(id);
  ContainerRecord r = with_cgroup(store_, id, "pause");
  oci::Status st = live_status(store_, r);
  if (st != oci::Status::running)
    throw Error("container " + backquoted(id) + " is " + std::string(oci::to_string(st)) +
                ": only a running container can be paused");
  freeze_cgroup(r.cgroup, true);
}

void Runtime::resume(const std::string& id) {
  FileLock lock = store_.lock(id);
  ContainerRecord r = with_cgroup(store_, id, "resume");
  if (live_status(store_, r) != oci::Status::paused)
    throw Error("container " + backquoted(id) + " is not paused");
  freeze_cgroup(r.cgroup, false);
}

void Runtime::update(const std::string& id, const oci::Resources& resources) {
  FileLock lock = store_.lock(id);
  ContainerRecord r = with_cgroup(store_, id, "update");
  update_cgroup(r.cgroup, resources);
}

nlohmann::json Runtime::stats(const std::string& id) const {
  validate_id(id);
  ContainerRecord r = store_.load(id);
  if (live_status(store_, r) == oci::Status::stopped)
    throw Error("container " + backquoted(id) + " is not running");
  std::optional<std::string> cg;
  if (!r.cgroup.empty()) cg = r.cgroup;
  return container_stats(cg, pids(id));
}

void Runtime::events(const std::string& id, int interval_ms,
                     const std::function<void(const nlohmann::json&)>& emit) const {
  validate_id(id);
  ContainerRecord r = store_.load(id);
  unique_fd pidfd;
  if (r.state.pid && is_same_live_process(*r.state.pid, r.start_time)) {
    pidfd = open_pidfd(*r.state.pid);
    if (pidfd && !is_same_live_process(*r.state.pid, r.start_time)) pidfd.reset();
  }
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
