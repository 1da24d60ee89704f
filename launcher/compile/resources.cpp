// [resources]: memory, cpu and pids limits, and whether the box may run without them.
#include "compile/compile.hpp"

namespace boxapp {

void compile_resources(const Profile& p, oci::Spec& s) {
  if (p.memory || p.cpus || p.pids) {
    oci::Resources r;
    if (p.memory) r.memory.emplace().limit = *p.memory;
    if (p.cpus) {
      auto& cpu = r.cpu.emplace();
      cpu.period = 100000;
      cpu.quota = static_cast<int64_t>(*p.cpus * 100000);
    }
    if (p.pids) r.pids.emplace().limit = *p.pids;
    s.linux->resources = r;
  }
  // Said either way: the bundle may be run by boxapp-runtime's CLI, or `spec --bundle`'s
  // reader, whose default is runc's (fail when limits can't be applied).
  (*s.annotations)["boxapp.resources.required"] = p.resources_required ? "true" : "false";
}

}  // namespace boxapp
