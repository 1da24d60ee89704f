// Turning a mount's `options` list into mount(2) flags, mount_setattr(2) attributes,
// propagation and the fs-specific data string.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace boxrt {

struct MountOptions {
  bool bind = false;
  bool recursive_bind = false;
  unsigned long flags = 0;  // MS_RDONLY, MS_NOSUID, ... for mount(2)
  uint64_t attr_set = 0;    // the same, as MOUNT_ATTR_* for mount_setattr(2)
  uint64_t attr_clr = 0;
  bool attr_recursive = false;    // any "r" variant (rro, rnosuid, ...) was given
  unsigned long propagation = 0;  // MS_PRIVATE | MS_REC, ...
  std::string data;               // everything else, comma-joined
  bool copy_up = false;           // tmpcopyup
};

// `member` names the options list in errors ("mounts[3].options").
MountOptions parse_mount_options(const std::vector<std::string>& options,
                                 const std::string& member);

// Every option parse_mount_options understands itself (the rest pass to the fs as data).
std::vector<std::string> known_mount_options();

// "private", "rslave", ... as a propagation flag set, or 0 when the name is unknown.
unsigned long propagation_flags(const std::string& name);

}  // namespace boxrt
