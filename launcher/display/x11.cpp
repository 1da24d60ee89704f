#include "display/x11.hpp"

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

}  // namespace boxapp
