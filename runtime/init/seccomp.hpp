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

// The same through a cache in `dir` (a directory of the caller's own): libseccomp takes
// milliseconds on a docker-sized profile, loading the stored program a few microseconds.
// Entries are keyed by the seccomp section and the libseccomp version, and hold the whole
// key, so a hash collision only costs a compile. `from_cache` says which it was.
SeccompProgram compile_seccomp_cached(const oci::Seccomp& spec, const std::string& dir,
                                      bool* from_cache = nullptr);

}  // namespace boxrt
