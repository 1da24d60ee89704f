#include "image/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

namespace boxapp {
namespace {

size_t terminal_width() {
  struct winsize ws {};
  return ::ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 80;
}

}  // namespace

std::string megabytes(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

Progress::Progress(bool quiet) : quiet_(quiet), tty_(!quiet && ::isatty(2)) {}

Progress::~Progress() {
  if (drawn_) std::fputs("\r\033[K", stderr);
}

void Progress::draw(const std::string& text) {
  // One line, cut to the terminal's width, so that \r returns to its start.
  const std::string line = text.substr(0, terminal_width() - 1);
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::say(const std::string& line) {
  if (quiet_) return;
  if (drawn_) std::fputs("\r\033[K", stderr);
  drawn_ = false;
  std::fprintf(stderr, "%s\n", line.c_str());
}

void Progress::layers(size_t done, size_t count, uint64_t bytes, uint64_t total,
                      const std::string& what) {
  if (!tty_) return;
  constexpr int kBar = 24;
  const double share = total   ? static_cast<double>(bytes) / static_cast<double>(total)
                       : count ? static_cast<double>(done) / static_cast<double>(count)
                               : 0;
  const int full = static_cast<int>(share * kBar + 0.5);
  std::string bar = "[" + std::string(full, '#') + std::string(kBar - full, '.') + "]";
  std::string text = bar + " " + std::to_string(done) + "/" + std::to_string(count) + " layers";
  if (total) text += ", " + megabytes(bytes) + " of " + megabytes(total);
  if (!what.empty()) text += "  " + what;
  draw(text);
}

void Progress::step(const std::string& text) {
  if (quiet_) return;
  if (tty_)
    draw(text);
  else
    std::fprintf(stderr, "  %s\n", text.c_str());
}

}  // namespace boxapp
