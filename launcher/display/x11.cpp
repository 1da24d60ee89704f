#include "display/x11.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

#include "util/unix_socket.hpp"

namespace boxapp {

std::optional<std::string> local_display_number(const std::string& display) {
  if (display.size() < 2 || display[0] != ':') return std::nullopt;
  return display.substr(1, display.find('.') - 1);
}

std::string x11_socket(const std::string& number) {
  return "/tmp/.X11-unix/X" + number;
}

std::string x11_lock_file(const std::string& number) {
  return "/tmp/.X" + number + "-lock";
}

bool x11_accepts_without_cookie(const std::string& socket_path) {
  boxrt::unique_fd sock = boxrt::connect_unix(socket_path, SOCK_STREAM);
  if (!sock) return false;
  // Byte order 'l' (little-endian), protocol 11.0, no authorization name or data.
  const uint8_t setup[12] = {'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  if (::send(sock.get(), setup, sizeof setup, MSG_NOSIGNAL) != sizeof setup) return false;
  struct pollfd p = {sock.get(), POLLIN, 0};
  uint8_t status = 0;
  // The reply's first byte: 0 failed, 1 success, 2 authenticate.
  return ::poll(&p, 1, 2000) == 1 && ::read(sock.get(), &status, 1) == 1 && status == 1;
}

}  // namespace boxapp
