// The process part of the plan: what the init (or a process joining the container) is to
// become and run: command and environment, identity, limits, seccomp, labels, capabilities.
#include <sys/capability.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "init/plan.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace boxrt {
namespace {

using oci::items;

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Names we can't set are skipped with a warning, once per name, as runc and crun do: a spec
// written for a newer kernel or libcap (or a test's CAP_TEST) still runs.
uint64_t cap_mask(const std::optional<oci::StringList>& names, int last) {
  static std::set<std::string> warned;
  uint64_t mask = 0;
  for (const std::string& name : items(names)) {
    cap_value_t v;
    if (cap_from_name(name.c_str(), &v) == 0 && v <= last) {
      mask |= uint64_t{1} << v;
    } else if (warned.insert(name).second) {
      log_warning("ignoring capability " + name + ": unknown to this kernel or libcap");
    }
  }
  return mask;
}

int rlimit_resource(const std::string& name) {
  static const std::pair<const char*, int> table[] = {{"RLIMIT_AS", RLIMIT_AS},
                                                      {"RLIMIT_CORE", RLIMIT_CORE},
                                                      {"RLIMIT_CPU", RLIMIT_CPU},
                                                      {"RLIMIT_DATA", RLIMIT_DATA},
                                                      {"RLIMIT_FSIZE", RLIMIT_FSIZE},
                                                      {"RLIMIT_LOCKS", RLIMIT_LOCKS},
                                                      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
                                                      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
                                                      {"RLIMIT_NICE", RLIMIT_NICE},
                                                      {"RLIMIT_NOFILE", RLIMIT_NOFILE},
                                                      {"RLIMIT_NPROC", RLIMIT_NPROC},
                                                      {"RLIMIT_RSS", RLIMIT_RSS},
                                                      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
                                                      {"RLIMIT_RTTIME", RLIMIT_RTTIME},
                                                      {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
                                                      {"RLIMIT_STACK", RLIMIT_STACK}};
  for (auto& [n, r] : table)
    if (name == n) return r;
  return -1;
}

void point_envp(InitPlan& plan) {
  plan.envp.clear();
  for (auto& e : plan.env)
    plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);
}

// args, env and cwd, ready for execve: argv and envp point into the plan's own strings.
void plan_command(const oci::Process& p, InitPlan& plan) {
  if (!p.args) throw Error("process.args: is required to create a container");
  plan.args = *p.args;
  plan.env = items(p.env);
  plan.search_path = kDefaultPath;
  for (const auto& e : plan.env)
    if (e.rfind("PATH=", 0) == 0) plan.search_path = e.substr(5);
  for (auto& a : plan.args)
    plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  point_envp(plan);
  plan.cwd = p.cwd;
  plan.terminal = p.terminal.value_or(false);
  if (p.console_size)
    plan.console_size = {static_cast<unsigned short>(p.console_size->height),
                         static_cast<unsigned short>(p.console_size->width)};
  plan.no_new_privileges = p.no_new_privileges.value_or(false);
  plan.oom_score_adj = p.oom_score_adj;
}

void plan_identity(const oci::Spec& spec, const PlanInputs& in, InitPlan& plan) {
  const oci::Process& p = *spec.process;
  if (p.user) {
    plan.uid = p.user->uid;
    plan.gid = p.user->gid;
    if (p.user->umask) plan.umask = static_cast<mode_t>(*p.user->umask);
    for (uint32_t g : items(p.user->additional_gids))
      plan.groups.push_back(g);
  }
  // crun's annotation: keep the supplementary groups we have (so /dev/snd access through
  // the user's audio group keeps working) instead of setting the spec's.
  bool keep_groups = spec.annotations && spec.annotations->count("run.oci.keep_original_groups") &&
                     spec.annotations->at("run.oci.keep_original_groups") == "1";
  plan.set_groups = !keep_groups && in.can_setgroups;
  if (!in.can_setgroups && !plan.groups.empty() && !keep_groups)
    throw Error(
        "process.user.additionalGids: setgroups is denied in this user namespace (it was "
        "mapped without newgidmap: install uidmap and get an /etc/subgid range)");
}

void plan_rlimits(const oci::Process& p, InitPlan& plan) {
  const auto& rl = items(p.rlimits);
  for (size_t i = 0; i < rl.size(); ++i) {
    RlimitStep step;
    step.resource = rlimit_resource(rl[i].type);
    step.limit.rlim_cur = static_cast<rlim_t>(rl[i].soft);
    step.limit.rlim_max = static_cast<rlim_t>(rl[i].hard);
    plan.rlimits.push_back(step);
  }
}

// Compiled here, before clone: the init only loads the program.
void plan_seccomp(const oci::Spec& spec, const PlanInputs& in, InitPlan& plan) {
  if (!spec.linux || !spec.linux->seccomp) return;
  auto t0 = std::chrono::steady_clock::now();
  bool cached = false;
  plan.seccomp = in.seccomp_cache.empty()
                     ? compile_seccomp(*spec.linux->seccomp)
                     : compile_seccomp_cached(*spec.linux->seccomp, in.seccomp_cache, &cached);
  if (log_enabled(LogLevel::debug)) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - t0);
    log_debug("linux.seccomp: " + std::to_string(plan.seccomp->code.size()) +
              " BPF instructions, " + (cached ? "from the cache" : "compiled") + " in " +
              std::to_string(us.count()) + " us");
  }
}

// AppArmor and SELinux labels apply where the host has the LSM; elsewhere the container runs
// without them, and says so.
void plan_labels(const oci::Spec& spec, const PlanHost& host, InitPlan& plan) {
  const auto& p = *spec.process;
  if (p.apparmor_profile && !p.apparmor_profile->empty()) {
    if (host.apparmor_enabled())
      plan.apparmor_exec = "exec " + *p.apparmor_profile;
    else
      log_warning("process.apparmorProfile: AppArmor is not enabled on this host; " +
                  backquoted(*p.apparmor_profile) + " is not applied");
  }
  if (p.selinux_label && !p.selinux_label->empty()) {
    if (host.selinux_enabled())
      plan.selinux_exec = *p.selinux_label;
    else
      log_warning("process.selinuxLabel: SELinux is not enabled on this host; " +
                  backquoted(*p.selinux_label) + " is not applied");
  }
}

void plan_capabilities(const oci::Process& p, const PlanHost& host, InitPlan& plan) {
  plan.set_caps = true;  // absent capabilities mean none, not "keep everything"
  plan.last_cap = host.last_cap();
  if (!p.capabilities) return;
  const auto& c = *p.capabilities;
  plan.cap_bounding = cap_mask(c.bounding, plan.last_cap);
  plan.cap_effective = cap_mask(c.effective, plan.last_cap);
  plan.cap_permitted = cap_mask(c.permitted, plan.last_cap);
  plan.cap_inheritable = cap_mask(c.inheritable, plan.last_cap);
  // The kernel allows an ambient capability only if it is permitted and inheritable.
  // `runc spec` lists ambient ones with an empty inheritable set and runc runs it, dropping
  // them; do the same rather than refuse such configs.
  const uint64_t ambient = cap_mask(c.ambient, plan.last_cap);
  plan.cap_ambient = ambient & plan.cap_permitted & plan.cap_inheritable;
  if (plan.cap_ambient != ambient)
    log_debug("process.capabilities.ambient: dropping those not both permitted and inheritable");
}

}  // namespace

namespace {

// What the runtime adds to process.env, as runc and crun do: HOME when it has none (the
// user's home in the rootfs's /etc/passwd, else /), and socket activation's LISTEN_*.
void plan_added_env(const oci::Spec& spec, const PlanInputs& in, InitPlan& plan) {
  const bool has_home = std::any_of(plan.env.begin(), plan.env.end(),
                                    [](const std::string& e) { return e.rfind("HOME=", 0) == 0; });
  if (!has_home) {
    std::string home;
    if (spec.root) {
      const std::string& root = spec.root->path;
      const auto& user = spec.process->user;
      home = in.probe().home_in_rootfs(root[0] == '/' ? root : in.bundle + "/" + root,
                                       user ? user->uid : 0);
    }
    set_env(plan, "HOME=" + (home.empty() ? std::string("/") : home));
  }
  if (in.listen_fds > 0) {
    set_env(plan, "LISTEN_FDS=" + std::to_string(in.listen_fds));
    set_env(plan, "LISTEN_PID=1");  // the process is pid 1 of its pid namespace
    if (!in.listen_fdnames.empty()) set_env(plan, "LISTEN_FDNAMES=" + in.listen_fdnames);
    plan.preserve_fds = std::max(plan.preserve_fds, in.listen_fds);
  }
}

}  // namespace

void set_env(InitPlan& plan, const std::string& entry) {
  const size_t key = entry.find('=') + 1;
  auto same = std::find_if(plan.env.begin(), plan.env.end(), [&](const std::string& e) {
    return e.compare(0, key, entry, 0, key) == 0;
  });
  if (same != plan.env.end())
    *same = entry;
  else
    plan.env.push_back(entry);
  point_envp(plan);
}

void plan_process(const oci::Spec& spec, const PlanInputs& in, InitPlan& plan) {
  if (!spec.process) throw Error("process: is required to create a container");
  const oci::Process& p = *spec.process;
  plan_command(p, plan);
  plan_added_env(spec, in, plan);
  plan_identity(spec, in, plan);
  plan_rlimits(p, plan);
  plan_seccomp(spec, in, plan);
  plan_labels(spec, in.probe(), plan);
  plan_capabilities(p, in.probe(), plan);
}

InitPlan make_exec_plan(const oci::Spec& spec, const PlanInputs& in) {
  InitPlan plan;
  plan.preserve_fds = in.preserve_fds;
  plan_process(spec, in, plan);
  return plan;
}

}  // namespace boxrt
