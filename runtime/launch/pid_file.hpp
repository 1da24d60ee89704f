// --pid-file: the container process's host pid, for engines and service managers.
#pragma once

#include <sys/types.h>

#include <string>

namespace boxrt {

// Written atomically: a reader never sees a half-written number.
void write_pid_file(const std::string& path, pid_t pid);

}  // namespace boxrt
