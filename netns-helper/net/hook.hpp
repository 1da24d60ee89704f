// boxapp-netns as an OCI hook, for bundles run by runc, crun or boxapp-runtime:
// createRuntime (or prestart) `boxapp-netns hook attach`, poststop `boxapp-netns hook
// detach`. The runtime gives the container's state on stdin; the container is put on the
// bridge by its id (or the annotation org.boxapp.netns.name), its address written to
// BUNDLE/.ip as the 2016 netns hook did. The annotation org.boxapp.netns.ports
// ("8080:80,127.0.0.1:5353:53/udp") publishes ports, as `attach -p` does.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "net/attach.hpp"
#include "util/unique_fd.hpp"

namespace boxnet {

// What the hook reads of the state.
struct HookState {
  std::string name, bundle;
  pid_t pid = 0;
  std::vector<PortMapping> ports;
};
// The state's JSON; a clear error for anything else.
HookState parse_hook_state(const std::string& json);

// BUNDLE/.ip: the box's address, as `cat` wants it.
std::string ip_file(const std::string& bundle);

// The container's network namespace, opened before the caller enters the session (from
// there a rootless container's is closed to it); refused when it is the caller's own.
boxrt::unique_fd open_container_netns(const HookState& s);
// The state's ports, bound on the caller's (the host's) network namespace: before the
// caller enters the session.
BoxRequests hook_requests(const HookState& s);
// The caller is root or in the session's user namespace (boxapp-netns enters it).
void hook_attach(const HookState& s, int netns_fd, BoxRequests& requests);
void hook_detach(const HookState& s);

}  // namespace boxnet
