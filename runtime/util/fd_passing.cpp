#include "util/fd_passing.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

#include "util/error.hpp"
#include "util/sys.hpp"

namespace boxrt {
namespace {

// One data byte (a message must carry some) and room for one descriptor.
struct FdMessage {
  char byte = 0;
  struct iovec iov = {&byte, 1};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  FdMessage() {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
};

}  // namespace

bool send_fd(int sock, int fd) {
  FdMessage m;
  struct cmsghdr* cm = CMSG_FIRSTHDR(&m.msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  return ::sendmsg(sock, &m.msg, MSG_NOSIGNAL) == 1;
}

bool send_message(int sock, std::string_view text) {
  return ::send(sock, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

std::string receive_message(int sock, int timeout_ms) {
  struct pollfd p = {sock, POLLIN, 0};
  if (retry_eintr([&] { return ::poll(&p, 1, timeout_ms); }) != 1) return {};
  char buf[4096];
  ssize_t n = retry_eintr([&] { return ::recv(sock, buf, sizeof buf, 0); });
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

int receive_fd_raw(int sock) {
  FdMessage m;
  ssize_t n = retry_eintr([&] { return ::recvmsg(sock, &m.msg, MSG_CMSG_CLOEXEC); });
  if (n < 0) return -1;
  struct cmsghdr* cm = CMSG_FIRSTHDR(&m.msg);
  if (n != 1 || !cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
    errno = EBADMSG;
    return -1;
  }
  int fd;
  std::memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  return fd;
}

unique_fd receive_fd(int sock, const char* what) {
  int fd = receive_fd_raw(sock);
  if (fd >= 0) return unique_fd(fd);
  if (errno == EBADMSG) throw Error(std::string("receive ") + what + ": no descriptor came");
  throw_errno(std::string("receive ") + what);
}

}  // namespace boxrt
