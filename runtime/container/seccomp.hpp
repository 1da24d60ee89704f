// linux.seccomp → a BPF program, compiled with libseccomp in the parent so that the
// container's init only has to load it (one system call, no allocation).
#pragma once

#include <linux/filter.h>

#include <vector>

#include "oci/linux.hpp"

namespace boxrt {

struct SeccompProgram {
  std::vector<struct sock_filter> code;
  unsigned flags = 0;  // SECCOMP_FILTER_FLAG_* for seccomp(SECCOMP_SET_MODE_FILTER)
};

// Syscall names this libseccomp doesn't know are skipped with a debug line, as runc does;
// everything else wrong is an error naming the member.
SeccompProgram compile_seccomp(const oci::Seccomp& spec);

}  // namespace boxrt
