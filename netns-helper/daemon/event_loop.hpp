// The forwarder's epoll loop: a handler per descriptor, level-triggered. A handler may
// remove any descriptor, its own included, and the object it belongs to: the loop keeps the
// handler alive while it runs and skips events of descriptors removed meanwhile.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "util/unique_fd.hpp"

namespace boxnet {

class EventLoop {
 public:
  using Handler = std::function<void(uint32_t events)>;
  EventLoop();
  void add(int fd, uint32_t events, Handler h);
  void modify(int fd, uint32_t events);
  // Before the descriptor is closed; one never added is fine.
  void remove(int fd);
  // Waits at most timeout_ms for events and handles them.
  void run_once(int timeout_ms);

 private:
  boxrt::unique_fd epoll_;
  std::unordered_map<int, std::shared_ptr<Handler>> handlers_;
};

}  // namespace boxnet
