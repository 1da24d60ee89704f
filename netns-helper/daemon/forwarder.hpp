// The forwarder of published ports, and keeper of boxes' isolation: a thread of the
// holder's, in the bridge's namespace, serving ports_socket() (net/publish.hpp speaks its
// protocol). Each port arrives bound
// on the host by the box's starter, who can reach the host's namespace where we can't; what
// comes in is carried to the box's address from here, where the box can be reached. A
// box's ports and isolation go with `unpublish`, or by themselves when its init (a pidfd
// sent along) ends: the next box on its address starts afresh.
#pragma once

namespace boxnet {

// Serves on a thread of its own until the process ends.
void start_forwarder();

}  // namespace boxnet
