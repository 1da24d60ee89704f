#include "util/fd_passing.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <vector>

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

bool send_fds(int sock, const int* fds, size_t count, const void* data, size_t len) {
  if (count > kMaxPassedFds || len == 0) {
    errno = EINVAL;
    return false;
  }
  struct iovec iov = {const_cast<void*>(data), len};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int) * count);
  std::memcpy(CMSG_DATA(cm), fds, sizeof(int) * count);
  return ::sendmsg(sock, &msg, MSG_NOSIGNAL) == static_cast<ssize_t>(len);
}

std::vector<unique_fd> receive_fds(int sock, void* data, size_t len, size_t& got) {
  struct iovec iov = {data, len};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = retry_eintr([&] { return ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); });
  got = n > 0 ? static_cast<size_t>(n) : 0;
  std::vector<unique_fd> fds;
  for (struct cmsghdr* cm = CMSG_FIRSTHDR(&msg); n > 0 && cm; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
      fds.emplace_back(fd);
    }
  }
  return fds;
}

bool send_fd(int sock, int fd) {
  const char byte = 0;
  return send_fds(sock, &fd, 1, &byte, 1);
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
