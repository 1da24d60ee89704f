#include "util/error.hpp"

#include <cerrno>
#include <cstring>

namespace boxrt {

Error::Error(std::string detail, int err) : detail_(std::move(detail)), errno_(err) {
  rebuild();
}

Error& Error::add_context(std::string ctx) {
  context_.insert(context_.begin(), std::move(ctx));
  rebuild();
  return *this;
}

void Error::rebuild() {
  what_.clear();
  for (const auto& c : context_) {
    what_ += c;
    what_ += ": ";
  }
  what_ += detail_;
}

Error sys_error(int err, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(err);
  return Error(std::move(msg), err);
}

void throw_errno(std::string_view what) {
  throw sys_error(errno, what);
}

std::string backquoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '`';
  out += s;
  out += '`';
  return out;
}

}  // namespace boxrt
