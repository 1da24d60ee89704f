#include "launch/seccomp_agent.hpp"

#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/sys.hpp"
#include "util/unix_socket.hpp"

namespace boxrt {

SeccompAgent connect_seccomp_agent(const oci::Spec& spec, const InitPlan& plan) {
  SeccompAgent a;
  if (!plan.seccomp || !(plan.seccomp->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)) return a;
  a.socket = connect_unix_named(*spec.linux->seccomp->listener_path, SOCK_STREAM,
                                "linux.seccomp.listenerPath");
  a.state.reset(::memfd_create("seccomp-agent-state", MFD_CLOEXEC));
  if (!a.state) throw_errno("memfd_create");
  return a;
}

void write_agent_state(const SeccompAgent& agent, const oci::Spec& spec, const oci::State& state,
                       pid_t pid) {
  if (!agent.state) return;
  nlohmann::json j = {{"ociVersion", std::string(oci::kVersion)},
                      {"fds", {"seccompFd"}},
                      {"pid", pid},
                      {"metadata", spec.linux->seccomp->listener_metadata.value_or("")},
                      {"state", oci::state_to_json(state)}};
  j["state"].erase("org.boxapp.runtime");
  const std::string text = j.dump();
  if (text.size() > 16384) throw Error("linux.seccomp.listenerMetadata: too long");
  write_all(agent.state.get(), text, "the seccomp agent's state");
}

}  // namespace boxrt
