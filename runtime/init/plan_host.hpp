// What make_plan learns from the host, behind one seam (youki's syscall trait, for the
// plan): the live host at every start, or a table in the plan's unit tests, which can then
// assert which mounts, devices and namespaces a spec gives without a kernel.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "ns/idmap.hpp"
#include "util/unique_fd.hpp"

namespace boxrt {

class PlanHost {
 public:
  virtual ~PlanHost() = default;
  // stat(2) of a host path: 0 with its mode set, or the errno.
  virtual int stat_mode(const std::string& path, mode_t& mode) const = 0;
  // A namespace file that linux.namespaces names by path, opened read-only; empty with
  // errno set when it can't be.
  virtual unique_fd open_namespace(const std::string& path) const = 0;
  // Whether the host runs the LSM that process.apparmorProfile / selinuxLabel need.
  virtual bool apparmor_enabled() const = 0;
  virtual bool selinux_enabled() const = 0;
  // /proc/sys/kernel/cap_last_cap: the capabilities the kernel knows.
  virtual int last_cap() const = 0;
  // Our own user namespace's maps (the session's, once joined): the spec's host ids are
  // translated through them.
  virtual std::vector<IdRange> own_id_map(bool gids) const = 0;
  // The home directory of `uid` in ROOTFS/etc/passwd, resolved inside the rootfs (its
  // symlinks can't lead to a host file); empty when it has no entry or no file.
  virtual std::string home_in_rootfs(const std::string& rootfs, uint32_t uid) const = 0;
};

// The home field of uid's line in an /etc/passwd text; empty when it has none.
std::string home_of(const std::string& passwd, uint32_t uid);

// The host this process runs on; what it reads is read only when a spec needs it.
const PlanHost& live_plan_host();

}  // namespace boxrt
