#include "keeper/box_keeper.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "util/error.hpp"
#include "util/fd_passing.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace boxapp {
namespace {

using boxrt::Error;

// Everything but `keep` (sorted) and stdio closed: the keeper must not hold what the start
// had open (the sound broker's connection would keep a dead start's socket alive).
void close_all_but(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned from = 3;
  for (int fd : keep) {
    if (fd < 3) continue;
    if (static_cast<unsigned>(fd) > from) ::close_range(from, static_cast<unsigned>(fd) - 1, 0);
    from = static_cast<unsigned>(fd) + 1;
  }
  ::close_range(from, ~0U, 0);
}

[[noreturn]] void keeper_main(int sock, const char* title, const KeptHelper& helper,
                              const std::vector<int>& keep) {
  ::setsid();
  boxrt::set_process_title(title);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // A ^C or a hangup for the start (or `boxapp stop` signalling its group) isn't ours.
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE})
    ::signal(sig, SIG_IGN);
  std::vector<int> kept = keep;
  kept.push_back(sock);
  close_all_but(kept);
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int i = 0; i < 3; ++i)
    ::dup2(null, i);
  try {
    boxrt::send_message(sock, "ready " + helper.start());
  } catch (const std::exception& e) {
    boxrt::send_message(sock, std::string("failed ") + e.what());
    ::_exit(1);
  }
  int box = 0;
  if (std::sscanf(boxrt::receive_message(sock, -1).c_str(), "%d", &box) == 1 && box > 0) {
    try {
      boxrt::unique_fd pidfd = boxrt::open_pidfd(box);
      struct pollfd p = {pidfd.get(), POLLIN, 0};
      while (pidfd && ::poll(&p, 1, -1) < 0 && errno == EINTR) {
      }
    } catch (const Error&) {
      // gone already
    }
  }
  helper.stop();
  ::_exit(0);
}

}  // namespace

BoxKeeper BoxKeeper::start(const char* title, const KeptHelper& helper, std::vector<int> keep) {
  int sv[2];
  boxrt::check(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), "socketpair");
  boxrt::unique_fd ours(sv[0]), theirs(sv[1]);
  const pid_t pid = boxrt::check(::fork(), std::string("fork the keeper of ") + title);
  if (pid == 0) keeper_main(theirs.get(), title, helper, keep);
  BoxKeeper k;
  k.sock_ = std::move(ours);
  return k;
}

std::string BoxKeeper::ready(int timeout_ms) {
  const std::string answer = boxrt::receive_message(sock_.get(), timeout_ms);
  if (answer.rfind("ready ", 0) == 0) return answer.substr(6);
  throw Error(answer.rfind("failed ", 0) == 0 ? answer.substr(7)
              : answer.empty()                ? std::string("its keeper did not answer")
                                              : "its keeper said " + boxrt::backquoted(answer));
}

void BoxKeeper::watch(pid_t box_pid) {
  boxrt::send_message(sock_.get(), std::to_string(box_pid));
  sock_.reset();
}

}  // namespace boxapp
