// Inside another network namespace for a while: netlink sockets opened meanwhile, and
// /proc/sys/net files opened meanwhile, act on that namespace. Back to where we were when it
// goes, so that nothing of ours is left pointing into a box's network.
#pragma once

#include <fcntl.h>
#include <sched.h>

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

}  // namespace boxnet
