#include "launch/pid_file.hpp"

#include "util/atomic_file.hpp"

namespace boxrt {

void write_pid_file(const std::string& path, pid_t pid) {
  write_file_atomic(path, std::to_string(pid), 0644, Durability::volatile_ok);
}

}  // namespace boxrt
