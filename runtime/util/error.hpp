// The runtime library's error type.
//
// Error handling in libboxrt: functions that talk to the kernel or the file system throw
// boxrt::Error, which carries the errno of the failed call (0 when none) and a chain of
// context ("create container `web`" → "mount `/dev/snd` onto `…/dev/snd`" → the reason).
// Callers add context while the error unwinds; the CLI prints what() on one line.
// Code running in a forked child before execve must not throw: it uses the errno-returning
// helpers in sys.hpp directly.
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace boxrt {

class Error : public std::exception {
 public:
  explicit Error(std::string detail, int err = 0);

  // errno of the failed system call, 0 when the error did not come from one.
  int code() const noexcept { return errno_; }
  // The innermost message, without context.
  const std::string& detail() const noexcept { return detail_; }
  // Outermost first.
  const std::vector<std::string>& context() const noexcept { return context_; }

  // Prepends one level of context: "ctx: <what it said before>".
  Error& add_context(std::string ctx);

  const char* what() const noexcept override { return what_.c_str(); }

 private:
  void rebuild();

  std::string detail_;
  int errno_;
  std::vector<std::string> context_;
  std::string what_;
};

// The error for a failed system call: "<what>: <strerror(err)>", carrying err.
Error sys_error(int err, std::string_view what);

// Throws sys_error(errno, what). For use right after a call that set errno.
[[noreturn]] void throw_errno(std::string_view what);

// Quotes a path or name for a message the way the rest of the runtime does: `path`.
std::string backquoted(std::string_view s);

}  // namespace boxrt
