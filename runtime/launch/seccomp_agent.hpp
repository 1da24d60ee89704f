// The seccomp agent of a filter with notify actions (runtime-spec linux.seccomp
// listenerPath): the init sends it the notify fd with the container process state.
#pragma once

#include <sys/types.h>

#include "init/plan.hpp"
#include "oci/spec.hpp"
#include "oci/state.hpp"
#include "util/unique_fd.hpp"

namespace boxrt {

// A socket connected to linux.seccomp.listenerPath, and a memfd with the container process
// state the init sends along with the notify fd. Empty when the filter has no notify action.
struct SeccompAgent {
  unique_fd socket, state;
};
SeccompAgent connect_seccomp_agent(const oci::Spec& spec, const InitPlan& plan);
// Once the process's pid is known.
void write_agent_state(const SeccompAgent& agent, const oci::Spec& spec, const oci::State& state,
                       pid_t pid);

}  // namespace boxrt
