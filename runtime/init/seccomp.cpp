#include "init/seccomp.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "oci/spec.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

using Ctx = std::unique_ptr<void, void (*)(scmp_filter_ctx)>;

// errnoRet's default is EPERM, as in runc and crun.
uint32_t action_of(const std::string& name, std::optional<uint32_t> errno_ret,
                   const std::string& where) {
  const uint32_t err = errno_ret.value_or(EPERM);
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(err);
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(err);
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_NOTIFY") return SCMP_ACT_NOTIFY;
  throw Error(where + ": " + name + " is not a seccomp action");
}

scmp_compare op_of(const std::string& name) {
  if (name == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (name == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (name == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (name == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (name == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (name == "SCMP_CMP_GT") return SCMP_CMP_GT;
  return SCMP_CMP_MASKED_EQ;  // the model allows nothing else
}

void check_rc(int rc, const std::string& what) {
  if (rc < 0) throw sys_error(-rc, what);
}

void add_rule(scmp_filter_ctx ctx, const oci::SyscallRule& rule, size_t index) {
  const std::string where = "linux.seccomp.syscalls[" + std::to_string(index) + "]";
  const uint32_t action = action_of(rule.action, rule.errno_ret, where + ".action");
  std::vector<struct scmp_arg_cmp> args;
  for (const auto& a : oci::items(rule.args)) {
    // MASKED_EQ compares (arg & value) == valueTwo; libseccomp takes (mask, datum).
    struct scmp_arg_cmp cmp = {};
    cmp.arg = a.index;
    cmp.op = op_of(a.op);
    cmp.datum_a = a.value;
    cmp.datum_b = a.value_two.value_or(0);
    args.push_back(cmp);
  }
  // libseccomp takes one comparison per argument in a rule. Two on the same argument become
  // a rule each, matching either, as runc reads such a rule (Docker's profile has them).
  bool repeats = false;
  for (size_t i = 0; i < args.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      repeats |= args[i].arg == args[j].arg;
  std::vector<std::vector<struct scmp_arg_cmp>> sets;
  if (repeats)
    for (const auto& cmp : args)
      sets.push_back({cmp});
  else
    sets.push_back(args);
  for (const auto& name : rule.names) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) {
      log_debug(where + ": unknown system call " + name + ", skipped");
      continue;
    }
    // The runtime's own writes (the error and sync channels, up to execve) would wait on an
    // agent that may be waiting on us.
    if (action == SCMP_ACT_NOTIFY && nr == __NR_write)
      throw Error(where + ": SCMP_ACT_NOTIFY cannot be used for write");
    for (const auto& set : sets) {
      int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(set.size()),
                                      set.empty() ? nullptr : set.data());
      // -EACCES: the rule's action is the default action already; libseccomp refuses those.
      if (rc == -EACCES) continue;
      check_rc(rc, where + ": add rule for " + name);
    }
  }
}

}  // namespace

SeccompProgram compile_seccomp(const oci::Seccomp& spec) {
  // Every call the runtime makes after loading the filter would go to the agent: write to
  // report an error, and the sendmsg that hands the agent its descriptor in the first place.
  if (spec.default_action == "SCMP_ACT_NOTIFY")
    throw Error("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  Ctx ctx(seccomp_init(action_of(spec.default_action, spec.default_errno_ret,
                                 "linux.seccomp.defaultAction")),
          seccomp_release);
  if (!ctx) throw Error("linux.seccomp: libseccomp could not start a filter");
  // We load the program ourselves; libseccomp must not set no_new_privs on its own.
  check_rc(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0), "seccomp: NNP attribute");
  // Syscalls in a binary tree, not one long chain. Loading a filter costs the kernel a walk of
  // it for every syscall number (to find those it may always allow, since Linux 5.11), so a
  // chain's length is paid ~900 times at each start: 0.3 ms for the launcher's filter here.
  check_rc(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2), "seccomp: optimize attribute");
  const auto& arches = oci::items(spec.architectures);
  for (size_t i = 0; i < arches.size(); ++i) {
    // "SCMP_ARCH_X86_64" -> "x86_64"
    std::string name = arches[i].substr(10);
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    uint32_t arch = seccomp_arch_resolve_name(name.c_str());
    if (arch == 0) {
      log_debug("linux.seccomp.architectures[" + std::to_string(i) + "]: " + arches[i] +
                " unknown to libseccomp, skipped");
      continue;
    }
    int rc = seccomp_arch_add(ctx.get(), arch);
    if (rc != -EEXIST) check_rc(rc, "linux.seccomp.architectures[" + std::to_string(i) + "]");
  }
  const auto& rules = oci::items(spec.syscalls);
  for (size_t i = 0; i < rules.size(); ++i)
    add_rule(ctx.get(), rules[i], i);

  SeccompProgram prog;
  for (const auto& f : oci::items(spec.flags)) {
    if (f == "SECCOMP_FILTER_FLAG_LOG") prog.flags |= SECCOMP_FILTER_FLAG_LOG;
    if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") prog.flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    if (f == "SECCOMP_FILTER_FLAG_TSYNC") prog.flags |= SECCOMP_FILTER_FLAG_TSYNC;
    if (f == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")
      prog.flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  }
  // Notify actions hand their calls to an agent: the filter must come with a listener fd,
  // which the init sends to listenerPath.
  bool notify = false;
  for (const auto& r : rules)
    notify |= r.action == "SCMP_ACT_NOTIFY";
  if (notify) {
    if (!spec.listener_path || spec.listener_path->empty())
      throw Error("linux.seccomp.listenerPath: required when an action is SCMP_ACT_NOTIFY");
    prog.flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    prog.flags &= ~static_cast<unsigned>(SECCOMP_FILTER_FLAG_TSYNC);  // exclusive with it
  }
  // libseccomp 2.5 exports to a descriptor only: a memfd, read back.
  unique_fd mem(::memfd_create("seccomp-bpf", MFD_CLOEXEC));
  if (!mem) throw_errno("memfd_create");
  check_rc(seccomp_export_bpf(ctx.get(), mem.get()), "linux.seccomp: export the filter");
  check(::lseek(mem.get(), 0, SEEK_SET), "lseek");
  std::string bytes = read_all(mem.get(), "the seccomp filter");
  prog.code.resize(bytes.size() / sizeof(struct sock_filter));
  std::memcpy(prog.code.data(), bytes.data(), prog.code.size() * sizeof(struct sock_filter));
  return prog;
}

}  // namespace boxrt
