#include "ns/namespaces.hpp"

#include <sched.h>

namespace boxrt {

const std::array<NamespaceKind, kNamespaceKinds>& namespace_kinds() {
  static const std::array<NamespaceKind, kNamespaceKinds> kinds = {{
      {"user", "user", CLONE_NEWUSER},
      {"mount", "mnt", CLONE_NEWNS},
      {"pid", "pid", CLONE_NEWPID},
      {"network", "net", CLONE_NEWNET},
      {"ipc", "ipc", CLONE_NEWIPC},
      {"uts", "uts", CLONE_NEWUTS},
      {"cgroup", "cgroup", CLONE_NEWCGROUP},
      {"time", "time", CLONE_NEWTIME},
  }};
  return kinds;
}

int namespace_flag(std::string_view spec_type) {
  for (const auto& k : namespace_kinds())
    if (spec_type == k.spec_type) return k.flag;
  return 0;
}

const char* namespace_spec_type(int flag) {
  for (const auto& k : namespace_kinds())
    if (flag == k.flag) return k.spec_type;
  return "unknown";
}

}  // namespace boxrt
