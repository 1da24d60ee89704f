// One connection to a published TCP port, carried to the box: the client's socket (accepted
// on the host's side) spliced both ways with one made here, in the bridge's namespace,
// through a pipe each way, so that the bytes never pass through user space. A half-close
// is passed on as one, a reset as a reset.
#pragma once

#include <netinet/in.h>

#include <functional>

#include "daemon/event_loop.hpp"
#include "util/unique_fd.hpp"

namespace boxnet {

class TcpRelay {
 public:
  // `done` is called once the connection is over, as the relay's last act: it may delete
  // the relay.
  TcpRelay(EventLoop& loop, boxrt::unique_fd client, const sockaddr_in& box,
           std::function<void(TcpRelay*)> done);
  ~TcpRelay();
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

 private:
  // What one direction has in flight: read from its source into the pipe, not yet written
  // to its sink.
  struct Flow {
    boxrt::unique_fd r, w;
    size_t room = 0;  // the pipe's size
    size_t held = 0;
    bool eof = false;   // its source has ended
    bool shut = false;  // and that was passed on to its sink
  };
  static void make_pipe(Flow& f);
  void on_connected(uint32_t events);
  void on_ready(uint32_t events);
  bool pump(int from, int to, Flow& f);
  void rearm();
  void finish(bool reset);

  EventLoop& loop_;
  boxrt::unique_fd client_, box_;
  Flow up_, down_;  // client to box, box to client
  uint32_t client_events_ = 0, box_events_ = 0;
  std::function<void(TcpRelay*)> done_;
};

}  // namespace boxnet
