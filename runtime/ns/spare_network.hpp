// The session's one service: a network namespace made ahead for the next start, while
// nothing waits for it, handed out over SESSION_DIR/netns.sock; the next is made right
// after. It belongs to the session's user namespace, so the container's root has no say
// over it: it can't reconfigure it (there is `lo`, up, and nothing else to configure), nor
// mount a sysfs of it, so a detached sysfs mount comes with it, which the init moves into
// place. Without the socket (or where the kernel won't make one), starts make their own
// beside the init (ns/netns.hpp).
#pragma once

#include <optional>
#include <string>

#include "ns/netns.hpp"
#include "util/unique_fd.hpp"

namespace boxrt {

// The session's socket that hands out its spare: SESSION_DIR/netns.sock.
std::string spare_network_socket();
inline constexpr const char* kSpareNetworkSocketName = "netns.sock";  // in the session dir

// A start's request for the session's spare: asked at once, taken when the container is
// created (the session answers meanwhile).
class NetworkAhead {
 public:
  NetworkAhead() = default;
  // Connects to the session's socket; an empty request when there is none (no session yet,
  // or one started by an older boxapp).
  static NetworkAhead ask();
  // The spare, or nullopt (logged) when the session had none to give.
  std::optional<SpareNetwork> take();

 private:
  unique_fd conn_;
};

// The session process's side: listens on `path` and serves one asker at a time.
class SpareNetworkService {
 public:
  explicit SpareNetworkService(const std::string& path);
  int fd() const { return listener_.get(); }
  // One asker gets the spare; the next is made.
  void serve();

 private:
  unique_fd listener_;
  SpareNetwork spare_;
};

}  // namespace boxrt
