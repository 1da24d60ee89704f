// Hooks (runtime-spec "hooks"): commands run at fixed points of a container's life with the
// container's state on stdin. prestart, createRuntime, poststart and poststop run here in
// the runtime; createContainer and startContainer run in the container's init, which must
// not allocate, so every hook is first turned into a HookStep with its argv/envp ready.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "oci/spec.hpp"
#include "oci/state.hpp"
#include "util/unique_fd.hpp"

namespace boxrt {

struct HookStep {
  std::string path;
  std::vector<std::string> args, env;
  std::vector<char*> argv, envp;  // into args/env, null-terminated; envp empty: inherit ours
  int timeout_s = 0;              // 0: no limit
};

std::vector<HookStep> make_hook_steps(const std::optional<std::vector<oci::Hook>>& hooks);

struct HookFailure {
  int err = 0;  // errno when the hook could not be started
  char msg[400] = {};
};

// Runs one hook to its end: stdin reads `state_fd` from its start, stdout and stderr are
// captured (their tail goes into the failure message). Killed when its timeout expires.
// Allocation-free, for the init. False with `failure` filled when it did not exit 0.
bool run_hook_step(const HookStep& hook, int state_fd, HookFailure& failure);

// A memfd for the state JSON on the hooks' stdin (close-on-exec), and filling it.
unique_fd new_state_fd();
void write_state_fd(int fd, const oci::State& state);

// The runtime's side. `kind` is the spec's name ("createRuntime"). run_hooks stops at the
// first failure and throws it; run_hooks_warning only warns and goes on, as poststart and
// poststop hooks must.
void run_hooks(const char* kind, const std::optional<std::vector<oci::Hook>>& hooks,
               const oci::State& state);
void run_hooks_warning(const char* kind, const std::optional<std::vector<oci::Hook>>& hooks,
                       const oci::State& state);

}  // namespace boxrt
