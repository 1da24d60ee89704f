// The holder's helper programs (the user-mode stack, dnsmasq), each exec'd in a forked
// child of the holder or its keeper.
#pragma once

#include <string>
#include <vector>

namespace boxnet {

// In the child: dies with its parent (a stack or dnsmasq left behind would keep a dead
// bridge's namespace alive), the signal dispositions a daemon ignores back to their
// defaults (pasta takes an ignored SIGPIPE for a failure to set its handlers, and quits),
// then args[0], found as util/sys.hpp's find_on_path finds it. Returns only when the exec
// failed, errno set.
void exec_helper(const std::vector<std::string>& args);

}  // namespace boxnet
