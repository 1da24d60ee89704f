#include "daemon/event_loop.hpp"

#include <sys/epoll.h>

#include "util/error.hpp"

namespace boxnet {

EventLoop::EventLoop() : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!epoll_) boxrt::throw_errno("epoll_create1");
}

void EventLoop::add(int fd, uint32_t events, Handler h) {
  struct epoll_event e = {};
  e.events = events;
  e.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &e) != 0) boxrt::throw_errno("epoll_ctl add");
  handlers_[fd] = std::make_shared<Handler>(std::move(h));
}

void EventLoop::modify(int fd, uint32_t events) {
  struct epoll_event e = {};
  e.events = events;
  e.data.fd = fd;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &e);
}

void EventLoop::remove(int fd) {
  if (handlers_.erase(fd)) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::run_once(int timeout_ms) {
  struct epoll_event events[64];
  const int n = ::epoll_wait(epoll_.get(), events, 64, timeout_ms);
  for (int i = 0; i < n; ++i) {
    auto it = handlers_.find(events[i].data.fd);
    if (it == handlers_.end()) continue;  // removed by an earlier handler of this round
    const std::shared_ptr<Handler> h = it->second;
    (*h)(events[i].events);
  }
}

}  // namespace boxnet
