#include "oci/default_spec.hpp"

#include "oci/make_mount.hpp"

namespace oci {

Spec default_spec(bool rootless, uid_t uid, gid_t gid) {
  const StringList caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  Spec s;
  s.oci_version = std::string(kVersion);
  Process p;
  p.terminal = true;
  p.user = User{};
  p.args = StringList{"sh"};
  p.env =
      StringList{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
  p.cwd = "/";
  p.capabilities = Capabilities{caps, caps, StringList{}, caps, caps, {}};
  p.rlimits = std::vector<Rlimit>{{"RLIMIT_NOFILE", 1024, 1024, {}}};
  p.no_new_privileges = true;
  s.process = p;
  s.root = Root{"rootfs", true, {}};
  s.hostname = "boxapp";

  const auto mount = make_mount;
  std::vector<Mount> mounts = {
      mount("/proc", "proc", "proc", {}),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts",
            rootless ? StringList{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}
                     : StringList{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
                                  "gid=5"}),
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      rootless ? mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"})
               : mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  };
  s.mounts = mounts;

  Linux l;
  std::vector<Namespace> nss;
  for (const char* t : {"pid", "ipc", "uts", "mount", "cgroup"})
    nss.push_back({t, {}, {}});
  if (rootless) {
    nss.push_back({"user", {}, {}});
    l.uid_mappings = std::vector<IdMapping>{{0, static_cast<uint32_t>(uid), 1, {}}};
    l.gid_mappings = std::vector<IdMapping>{{0, static_cast<uint32_t>(gid), 1, {}}};
  } else {
    nss.push_back({"network", {}, {}});
  }
  l.namespaces = nss;
  l.masked_paths = StringList{"/proc/acpi",        "/proc/asound",        "/proc/kcore",
                              "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                              "/proc/timer_stats", "/proc/sched_debug",   "/sys/firmware",
                              "/proc/scsi"};
  l.readonly_paths =
      StringList{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  s.linux = l;
  return s;
}

}  // namespace oci
