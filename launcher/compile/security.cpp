// [security]: the seccomp preset with the profile's allow/deny lists, capabilities,
// no_new_privs, the usual masked paths.
#include <sched.h>

#include <algorithm>
#include <cerrno>

#include "compile/compile.hpp"
#include "util/error.hpp"

namespace boxapp {
namespace {

// What the "default" preset refuses, as Docker's default profile does: system calls that
// reach past the container (modules, kexec, clocks, mounts, keyrings, BPF, tracing other
// processes, reboot, swap, quotas, ...).
const char* const kDenied[] = {
    "acct",
    "add_key",
    "bpf",
    "clock_adjtime",
    "clock_settime",
    "create_module",
    "delete_module",
    "fanotify_init",
    "finit_module",
    "fsconfig",
    "fsmount",
    "fsopen",
    "fspick",
    "get_kernel_syms",
    "init_module",
    "ioperm",
    "iopl",
    "kcmp",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "lookup_dcookie",
    "mount",
    "mount_setattr",
    "move_mount",
    "name_to_handle_at",
    "nfsservctl",
    "open_by_handle_at",
    "open_tree",
    "perf_event_open",
    "pivot_root",
    "process_vm_readv",
    "process_vm_writev",
    "ptrace",
    "query_module",
    "quotactl",
    "quotactl_fd",
    "reboot",
    "request_key",
    "setdomainname",
    "sethostname",
    "setns",
    "settimeofday",
    "swapoff",
    "swapon",
    "syslog",
    "umount2",
    "uselib",
    "userfaultfd",
    "ustat",
    "vhangup",
    "vm86",
    "vm86old",
};

oci::SyscallRule deny(std::vector<std::string> names, uint32_t err = EPERM) {
  oci::SyscallRule r;
  r.names = std::move(names);
  r.action = "SCMP_ACT_ERRNO";
  r.errno_ret = err;
  return r;
}

// clone and unshare with one namespace flag: refused (a nested sandbox needs them).
std::vector<oci::SyscallRule> namespace_rules() {
  std::vector<oci::SyscallRule> out;
  for (uint64_t flag : {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
                        CLONE_NEWNET, CLONE_NEWCGROUP}) {
    oci::SyscallRule r = deny({"clone", "unshare"});
    oci::SyscallArg a;
    a.index = 0;
    a.value = flag;
    a.value_two = flag;
    a.op = "SCMP_CMP_MASKED_EQ";
    r.args = std::vector<oci::SyscallArg>{a};
    out.push_back(r);
  }
  return out;
}

oci::Seccomp seccomp_preset(const Profile& p) {
  std::vector<std::string> denied(std::begin(kDenied), std::end(kDenied));
  denied.insert(denied.end(), p.seccomp_deny.begin(), p.seccomp_deny.end());
  std::erase_if(denied, [&](const std::string& n) {
    return std::find(p.seccomp_allow.begin(), p.seccomp_allow.end(), n) != p.seccomp_allow.end();
  });
  if (p.nested_userns) std::erase(denied, std::string("setns"));
  oci::Seccomp s;
  s.default_action = "SCMP_ACT_ALLOW";
  // x86-64 and 32-bit x86 programs; x32 ones (next to none exist) are refused outright,
  // which keeps the filter a third smaller.
  s.architectures = std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"};
  std::vector<oci::SyscallRule> rules = {deny(denied)};
  // clone3 passes its flags in memory, out of the filter's sight: "not implemented" makes
  // libcs fall back to clone, whose flags it can see.
  rules.push_back(deny({"clone3"}, ENOSYS));
  if (!p.nested_userns) {
    auto ns = namespace_rules();
    rules.insert(rules.end(), ns.begin(), ns.end());
  }
  s.syscalls = rules;
  return s;
}

}  // namespace

void compile_security(const Profile& p, oci::Spec& s) {
  if (p.seccomp == "default") s.linux->seccomp = seccomp_preset(p);
  oci::StringList caps;
  for (const auto& c : p.caps_add)
    if (std::find(p.caps_drop.begin(), p.caps_drop.end(), c) == p.caps_drop.end())
      caps.push_back(c);
  s.process->capabilities = oci::Capabilities{caps, caps, caps, caps, caps, {}};
  s.process->no_new_privileges = p.no_new_privs;
  s.linux->masked_paths = oci::StringList{"/proc/acpi",
                                          "/proc/asound",
                                          "/proc/kcore",
                                          "/proc/keys",
                                          "/proc/latency_stats",
                                          "/proc/timer_list",
                                          "/proc/timer_stats",
                                          "/proc/sched_debug",
                                          "/proc/scsi",
                                          "/sys/firmware",
                                          "/sys/devices/virtual/powercap"};
  s.linux->readonly_paths =
      oci::StringList{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
}

}  // namespace boxapp
