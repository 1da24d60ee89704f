// The network host namespace: bridge boxapp0 with the gateway's address, owned by the
// session's user namespace, so that whoever is in that user namespace may plumb a veth from
// it into any box boxapp starts (their user namespaces are its children; docs/design.md).
// Its holder (daemon/holder.hpp) hands it out on holder_socket(); the first attach starts
// the holder when none runs.
#pragma once

#include <sys/types.h>

#include "net/config.hpp"
#include "util/unique_fd.hpp"

namespace boxnet {

// The namespace, the holder started first when there is none (`started` says so). The
// caller must be in the session's user namespace (boxrt::join_session).
boxrt::unique_fd host_namespace(bool* started = nullptr);

// The same, or an invalid fd when no holder runs: nothing is started.
boxrt::unique_fd running_host_namespace();

// The running holder's pid (from its socket's credentials), or 0.
pid_t holder_pid();

}  // namespace boxnet
