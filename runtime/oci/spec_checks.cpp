// Rules of the runtime-spec that JSON types alone don't express. Each names the member it
// rejects, so a user sees `linux.uidMappings[1].size: must be > 0` and knows where to look.
#include <cctype>
#include <set>

#include "oci/schemas.hpp"

namespace oci {
namespace {

bool matches_upper_name(std::string_view s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix || s.size() == prefix.size()) return false;
  for (char c : s.substr(prefix.size()))
    if (!std::isupper(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

void check_list_one_of(const std::optional<std::vector<std::string>>& list, const std::string& path,
                       std::initializer_list<std::string_view> allowed) {
  const auto& values = items(list);
  for (size_t i = 0; i < values.size(); ++i)
    check_one_of(values[i], index_path(path, i), allowed);
}

const std::initializer_list<std::string_view> kSeccompActions = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};

}  // namespace

void Schema<IdMapping>::check(const IdMapping& v, const std::string& path) {
  if (v.size == 0) fail(member_path(path, "size"), "must be > 0");
  // The kernel refuses ranges that reach (uid_t)-1, the "no id" value.
  constexpr uint64_t kEnd = 4294967295;
  if (uint64_t{v.container_id} + v.size > kEnd)
    fail(member_path(path, "size"), "containerID + size must be at most 4294967295");
  if (uint64_t{v.host_id} + v.size > kEnd)
    fail(member_path(path, "size"), "hostID + size must be at most 4294967295");
}

void Schema<Capabilities>::check(const Capabilities& v, const std::string& path) {
  auto one_set = [&](const std::optional<StringList>& set, std::string_view name) {
    const auto& caps = items(set);
    for (size_t i = 0; i < caps.size(); ++i)
      if (!matches_upper_name(caps[i], "CAP_"))
        fail(index_path(member_path(path, name), i),
             "must be a capability name such as CAP_KILL, not " + describe(caps[i]));
  };
  one_set(v.bounding, "bounding");
  one_set(v.effective, "effective");
  one_set(v.inheritable, "inheritable");
  one_set(v.permitted, "permitted");
  one_set(v.ambient, "ambient");
}

void Schema<Rlimit>::check(const Rlimit& v, const std::string& path) {
  check_one_of(
      v.type, member_path(path, "type"),
      {"RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE", "RLIMIT_LOCKS",
       "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_NOFILE", "RLIMIT_NPROC",
       "RLIMIT_RSS", "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK"});
  // setrlimit(2) fails with EINVAL for this; say so before anything is created.
  if (v.soft > v.hard)
    fail(member_path(path, "soft"),
         "must not exceed hard (" + std::to_string(v.soft) + " > " + std::to_string(v.hard) + ")");
}

void Schema<IoPriority>::check(const IoPriority& v, const std::string& path) {
  check_one_of(v.io_class, member_path(path, "class"),
               {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"});
  if (v.priority && (*v.priority < 0 || *v.priority > 7))
    fail(member_path(path, "priority"), "must be from 0 to 7");
}

void Schema<Scheduler>::check(const Scheduler& v, const std::string& path) {
  check_one_of(v.policy, member_path(path, "policy"),
               {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE",
                "SCHED_DEADLINE"});
  check_list_one_of(v.flags, member_path(path, "flags"),
                    {"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN",
                     "SCHED_FLAG_KEEP_POLICY", "SCHED_FLAG_KEEP_PARAMS",
                     "SCHED_FLAG_UTIL_CLAMP_MIN", "SCHED_FLAG_UTIL_CLAMP_MAX"});
  if (v.nice && (*v.nice < -20 || *v.nice > 19))
    fail(member_path(path, "nice"), "must be from -20 to 19");
}

void Schema<Process>::check(const Process& v, const std::string& path) {
  check_absolute(v.cwd, member_path(path, "cwd"));
  if (v.args && v.args->empty()) fail(member_path(path, "args"), "must have at least one entry");
  const auto& env = items(v.env);
  for (size_t i = 0; i < env.size(); ++i) {
    auto eq = env[i].find('=');
    if (eq == std::string::npos || eq == 0)
      fail(index_path(member_path(path, "env"), i),
           "must have the form NAME=VALUE, not " + describe(env[i]));
  }
  if (v.oom_score_adj && (*v.oom_score_adj < -1000 || *v.oom_score_adj > 1000))
    fail(member_path(path, "oomScoreAdj"), "must be from -1000 to 1000");
  std::set<std::string_view> seen;
  const auto& rlimits = items(v.rlimits);
  for (size_t i = 0; i < rlimits.size(); ++i)
    if (!seen.insert(rlimits[i].type).second)
      fail(member_path(index_path(member_path(path, "rlimits"), i), "type"),
           "duplicate rlimit " + rlimits[i].type);
}

void Schema<Root>::check(const Root& v, const std::string& path) {
  if (v.path.empty()) fail(member_path(path, "path"), "must not be empty");
}

void Schema<Mount>::check(const Mount& v, const std::string& path) {
  if (v.destination.empty()) fail(member_path(path, "destination"), "must not be empty");
}

void Schema<Hook>::check(const Hook& v, const std::string& path) {
  check_absolute(v.path, member_path(path, "path"));
  if (v.timeout && *v.timeout < 1) fail(member_path(path, "timeout"), "must be >= 1 (seconds)");
}

void Schema<Namespace>::check(const Namespace& v, const std::string& path) {
  check_one_of(v.type, member_path(path, "type"),
               {"mount", "pid", "network", "uts", "ipc", "user", "cgroup", "time"});
  // An empty path means a new namespace, as runc reads it.
  if (v.path && !v.path->empty()) check_absolute(*v.path, member_path(path, "path"));
}

void Schema<TimeOffset>::check(const TimeOffset& v, const std::string& path) {
  if (v.nanosecs && *v.nanosecs >= 1000000000)
    fail(member_path(path, "nanosecs"), "must be below 1000000000");
}

void Schema<Device>::check(const Device& v, const std::string& path) {
  check_one_of(v.type, member_path(path, "type"), {"c", "b", "u", "p"});
  check_absolute(v.path, member_path(path, "path"));
  if (v.type != "p") {
    if (!v.major) fail(member_path(path, "major"), "is required for a device of type " + v.type);
    if (!v.minor) fail(member_path(path, "minor"), "is required for a device of type " + v.type);
  }
  if (v.file_mode && *v.file_mode > 07777)
    fail(member_path(path, "fileMode"), "must be a file mode (at most 07777 = 4095)");
}

void Schema<DeviceRule>::check(const DeviceRule& v, const std::string& path) {
  if (v.type) check_one_of(*v.type, member_path(path, "type"), {"a", "c", "b"});
  if (v.access)
    for (char c : *v.access)
      if (c != 'r' && c != 'w' && c != 'm')
        fail(member_path(path, "access"), "must be made of r, w and m, not " + describe(*v.access));
}

void Schema<HugepageLimit>::check(const HugepageLimit& v, const std::string& path) {
  // ^[1-9][0-9]*[KMG]B$
  const std::string& s = v.page_size;
  bool ok = s.size() >= 3 && s[0] >= '1' && s[0] <= '9' && s.back() == 'B' &&
            std::string_view("KMG").find(s[s.size() - 2]) != std::string_view::npos;
  for (size_t i = 1; ok && i + 2 < s.size(); ++i)
    ok = std::isdigit(static_cast<unsigned char>(s[i]));
  if (!ok) fail(member_path(path, "pageSize"), "must look like 2MB or 1GB, not " + describe(s));
}

void Schema<SyscallArg>::check(const SyscallArg& v, const std::string& path) {
  if (v.index > 5) fail(member_path(path, "index"), "must be from 0 to 5");
  check_one_of(v.op, member_path(path, "op"),
               {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
                "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"});
}

void Schema<SyscallRule>::check(const SyscallRule& v, const std::string& path) {
  if (v.names.empty()) fail(member_path(path, "names"), "must have at least one entry");
  check_one_of(v.action, member_path(path, "action"), kSeccompActions);
}

void Schema<Seccomp>::check(const Seccomp& v, const std::string& path) {
  check_one_of(v.default_action, member_path(path, "defaultAction"), kSeccompActions);
  check_list_one_of(
      v.architectures, member_path(path, "architectures"),
      {"SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",    "SCMP_ARCH_ARM",
       "SCMP_ARCH_AARCH64",     "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",   "SCMP_ARCH_MIPS",
       "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
       "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",         "SCMP_ARCH_PPC64",  "SCMP_ARCH_PPC64LE",
       "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",       "SCMP_ARCH_SH",     "SCMP_ARCH_SHEB",
       "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64",    "SCMP_ARCH_RISCV64"});
  check_list_one_of(v.flags, member_path(path, "flags"),
                    {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                     "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"});
}

void Schema<Personality>::check(const Personality& v, const std::string& path) {
  if (v.domain) check_one_of(*v.domain, member_path(path, "domain"), {"LINUX", "LINUX32"});
}

void Schema<Linux>::check(const Linux& v, const std::string& path) {
  std::set<std::string_view> seen;
  const auto& namespaces = items(v.namespaces);
  for (size_t i = 0; i < namespaces.size(); ++i)
    if (!seen.insert(namespaces[i].type).second)
      fail(member_path(index_path(member_path(path, "namespaces"), i), "type"),
           "duplicate namespace " + namespaces[i].type);
  if (v.rootfs_propagation)
    check_one_of(*v.rootfs_propagation, member_path(path, "rootfsPropagation"),
                 // The r- forms are what engines and runc's own tests send; / is made
                 // recursive either way.
                 {"private", "shared", "slave", "unbindable", "rprivate", "rshared", "rslave",
                  "runbindable"});
}

void Schema<Spec>::check(const Spec& v, const std::string& path) {
  // Semantic versioning: a newer major version may change meanings we'd get wrong. Older
  // documents (the spec's own examples say 0.5.0-dev) read as they are, as runc does.
  const std::string& ver = v.oci_version;
  size_t digits = 0;
  while (digits < ver.size() && std::isdigit(static_cast<unsigned char>(ver[digits])))
    ++digits;
  if (digits == 0 || digits == ver.size() || ver[digits] != '.')
    fail(member_path(path, "ociVersion"), "must be a version such as 1.2.0, not " + describe(ver));
  if (digits > 1 || ver[0] > '1')
    fail(member_path(path, "ociVersion"), "unsupported version " + describe(ver) +
                                              " (this runtime implements " + std::string(kVersion) +
                                              ")");
}

void Schema<State>::check(const State& v, const std::string& path) {
  if ((v.status == Status::created || v.status == Status::running) && !v.pid)
    fail(member_path(path, "pid"),
         "is required when status is " + std::string(to_string(v.status)));
  if (v.pid && *v.pid < 0) fail(member_path(path, "pid"), "must be >= 0");
}

}  // namespace oci
