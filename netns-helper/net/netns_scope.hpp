// Inside another network namespace for a while: netlink sockets opened meanwhile, and
// /proc/sys/net files opened meanwhile, act on that namespace. Back to where we were when it
// goes, where the kernel lets us: from the session's user namespace, the host's network
// namespace can't be entered again (that wants CAP_SYS_ADMIN over the host's user
// namespace), so a scope is only ever used on a thread of its own (on_own_thread), which
// ends there; the caller's threads stay in the host's network.
#pragma once

#include <fcntl.h>
#include <sched.h>

#include <exception>
#include <thread>

#include "util/error.hpp"
#include "util/sys.hpp"
#include "util/unique_fd.hpp"

namespace boxnet {

class NetnsScope {
 public:
  explicit NetnsScope(int netns_fd)
      : back_(boxrt::open_file("/proc/thread-self/ns/net", O_RDONLY)) {
    if (::setns(netns_fd, CLONE_NEWNET) != 0) boxrt::throw_errno("enter a network namespace");
  }
  ~NetnsScope() { (void)::setns(back_.get(), CLONE_NEWNET); }
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;

 private:
  boxrt::unique_fd back_;
};

// Runs f on a new thread and waits for it; its exception is rethrown here.
template <class F>
void on_own_thread(F&& f) {
  std::exception_ptr failed;
  std::thread t([&] {
    try {
      f();
    } catch (...) {
      failed = std::current_exception();
    }
  });
  t.join();
  if (failed) std::rethrow_exception(failed);
}

}  // namespace boxnet
