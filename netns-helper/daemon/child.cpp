#include "daemon/child.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "util/sys.hpp"

namespace boxnet {

void exec_helper(const std::vector<std::string>& args) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  for (int sig : {SIGINT, SIGHUP, SIGQUIT, SIGPIPE})
    ::signal(sig, SIG_DFL);
  std::string program = boxrt::find_on_path(args[0]);
  if (program.empty()) program = args[0];
  std::vector<char*> argv;
  for (const auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(program.c_str(), argv.data());
}

}  // namespace boxnet
