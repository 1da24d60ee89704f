#include "net/ownership.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "util/unique_fd.hpp"

namespace boxnet {

bool within_our_user_namespace(int netns_fd) {
  struct stat ours;
  if (::stat("/proc/self/ns/user", &ours) != 0) return false;
  boxrt::unique_fd ns(::ioctl(netns_fd, NS_GET_USERNS));
  // Up the owners' chain until ours; NS_GET_PARENT is EPERM past the top we can see.
  for (int depth = 0; ns && depth < 33; ++depth) {
    struct stat st;
    if (::fstat(ns.get(), &st) != 0) return false;
    if (st.st_ino == ours.st_ino && st.st_dev == ours.st_dev) return true;
    ns.reset(::ioctl(ns.get(), NS_GET_PARENT));
  }
  return false;
}

}  // namespace boxnet
