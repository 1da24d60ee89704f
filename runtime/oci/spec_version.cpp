#include "oci/spec_version.hpp"

namespace oci {
namespace {

// Fields of 1.2.0: the process's I/O priority and scheduler, network devices, memory's
// checkBeforeUpdate.
bool needs_1_2(const Spec& s) {
  if (s.process && (s.process->io_priority || s.process->scheduler)) return true;
  if (!s.linux) return false;
  const Linux& l = *s.linux;
  if (l.net_devices) return true;
  return l.resources && l.resources->memory && l.resources->memory->check_before_update;
}

// Fields of 1.1.0: domainname, the time namespace and its offsets, personality, the
// unified cgroup map, seccomp's agent, umask, idmapped mounts.
bool needs_1_1(const Spec& s) {
  if (s.domainname) return true;
  if (s.process && s.process->user && s.process->user->umask) return true;
  for (const auto& m : items(s.mounts))
    if (m.uid_mappings || m.gid_mappings) return true;
  if (!s.linux) return false;
  const Linux& l = *s.linux;
  if (l.time_offsets || l.personality) return true;
  for (const auto& ns : items(l.namespaces))
    if (ns.type == "time") return true;
  if (l.resources && l.resources->unified) return true;
  return l.seccomp && (l.seccomp->listener_path || l.seccomp->listener_metadata);
}

}  // namespace

std::string lowest_version(const Spec& spec) {
  if (needs_1_2(spec)) return std::string(kVersion);
  return needs_1_1(spec) ? "1.1.0" : "1.0.2";
}

}  // namespace oci
