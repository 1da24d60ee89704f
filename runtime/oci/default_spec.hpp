#pragma once

#include <sys/types.h>

#include "oci/spec.hpp"

namespace oci {

// The config `spec` writes: a shell in a busybox-style rootfs with the usual mounts and
// namespaces, like `runc spec`. The rootless variant maps the given host ids to root and
// binds /sys instead of mounting it (a new sysfs needs a network namespace of our own).
Spec default_spec(bool rootless, uid_t uid, gid_t gid);

}  // namespace oci
