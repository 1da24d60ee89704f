#include "daemon/tcp_relay.hpp"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/error.hpp"

namespace boxnet {
namespace {

using boxrt::unique_fd;

// Each direction's pipe: big enough that a splice moves many segments at once (host to box,
// one iperf3 run each here: 6.1 Gbit/s with 256 KiB, 7.5 with 512 KiB, 8.1 with 1 MiB),
// small enough that 64 connections stay within the user's default pipe budget
// (fs.pipe-user-pages-soft, 64 MiB), past which the kernel gives new pipes two pages only.
constexpr size_t kPipeSize = 1 << 19;

// The relay holds data back no longer than its senders did: they applied Nagle already.
void no_delay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

TcpRelay::TcpRelay(EventLoop& loop, unique_fd client, const sockaddr_in& box,
                   std::function<void(TcpRelay*)> done)
    : loop_(loop), client_(std::move(client)), done_(std::move(done)) {
  make_pipe(up_);
  make_pipe(down_);
  box_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!box_) boxrt::throw_errno("socket");
  no_delay(client_.get());
  no_delay(box_.get());
  if (::connect(box_.get(), reinterpret_cast<const sockaddr*>(&box), sizeof box) != 0 &&
      errno != EINPROGRESS)
    boxrt::throw_errno("connect to the box");
  // The client waits, unread, until the box has answered.
  loop_.add(client_.get(), 0, [this](uint32_t e) { on_ready(e); });
  loop_.add(box_.get(), EPOLLOUT, [this](uint32_t e) { on_connected(e); });
}

void TcpRelay::make_pipe(Flow& f) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) boxrt::throw_errno("pipe2");
  f.r.reset(p[0]);
  f.w.reset(p[1]);
  // As big as the user's pipe limit lets it be; the default (64 KiB) else.
  const int n = ::fcntl(p[1], F_SETPIPE_SZ, static_cast<int>(kPipeSize));
  f.room = n > 0 ? static_cast<size_t>(n) : 65536;
}

TcpRelay::~TcpRelay() {
  loop_.remove(client_.get());
  loop_.remove(box_.get());
}

void TcpRelay::on_connected(uint32_t events) {
  if (events & EPOLLHUP && !(events & EPOLLOUT)) return finish(true);
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(box_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return finish(true);  // refused, or unreachable: the client is reset
  loop_.remove(box_.get());
  loop_.add(box_.get(), 0, [this](uint32_t e) { on_ready(e); });
  rearm();
}

// As much as moves now from `from` to `to`; false on an error of either socket.
bool TcpRelay::pump(int from, int to, Flow& f) {
  for (int round = 0; round < 16; ++round) {
    ssize_t in = 0;
    if (!f.eof && f.held < f.room) {
      in = ::splice(from, nullptr, f.w.get(), nullptr, f.room - f.held,
                    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (in > 0) f.held += static_cast<size_t>(in);
      if (in == 0) f.eof = true;
      if (in < 0 && errno != EAGAIN && errno != EINTR) return false;
    }
    while (f.held > 0) {
      const ssize_t out =
          ::splice(f.r.get(), nullptr, to, nullptr, f.held, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (out > 0) {
        f.held -= static_cast<size_t>(out);
        continue;
      }
      if (out < 0 && (errno == EAGAIN || errno == EINTR)) break;
      return false;
    }
    if (in <= 0 || f.held > 0) break;
  }
  if (f.eof && f.held == 0 && !f.shut) {
    ::shutdown(to, SHUT_WR);
    f.shut = true;
  }
  return true;
}

void TcpRelay::on_ready(uint32_t events) {
  if (events & EPOLLERR) return finish(true);
  if (!pump(client_.get(), box_.get(), up_) || !pump(box_.get(), client_.get(), down_))
    return finish(true);
  if (up_.shut && down_.shut) return finish(false);
  rearm();
}

// Read a source while its pipe has room; wait for a sink to take more only while its
// pipe holds data.
void TcpRelay::rearm() {
  const auto want = [](const Flow& in, const Flow& out) {
    return (in.eof ? 0u : static_cast<uint32_t>(EPOLLIN)) |
           (out.held > 0 ? static_cast<uint32_t>(EPOLLOUT) : 0u);
  };
  const uint32_t c = want(up_, down_), b = want(down_, up_);
  if (c != client_events_) loop_.modify(client_.get(), client_events_ = c);
  if (b != box_events_) loop_.modify(box_.get(), box_events_ = b);
}

void TcpRelay::finish(bool reset) {
  if (reset) {
    // A close that resets: the other side learns the connection broke, not that it ended.
    const struct linger l = {1, 0};
    ::setsockopt(client_.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::setsockopt(box_.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  auto done = std::move(done_);  // it may delete us, and done_ with us
  done(this);
}

}  // namespace boxnet
