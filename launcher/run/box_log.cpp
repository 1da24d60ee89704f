#include "run/box_log.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "util/error.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"
#include "util/user_dirs.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;

std::string logs_dir() {
  return boxrt::user_state_dir() + "/boxapp/logs";
}

int open_log(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

// The logger: pipe → file, rotated at the cap. Runs in the forked child until EOF.
[[noreturn]] void log_main(int in, const std::string& path) {
  ::setsid();
  boxrt::set_process_title("boxapp-log");
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd)
    if (fd != in) ::dup2(null, fd);
  int out = open_log(path);
  struct stat st;
  size_t size = out >= 0 && ::fstat(out, &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (size + static_cast<size_t>(n) > kBoxLogCap && size > 0) {
      ::rename(path.c_str(), (path + ".1").c_str());
      ::close(out);
      out = open_log(path);
      size = 0;
    }
    if (out >= 0 && ::write(out, buf, static_cast<size_t>(n)) == n) size += static_cast<size_t>(n);
  }
  ::_exit(0);
}

std::string read_if_there(const std::string& path) {
  return boxrt::try_read_file(path).value_or("");
}

std::string last_lines(const std::string& text, size_t n) {
  size_t at = text.size();
  if (at > 0 && text[at - 1] == '\n') --at;  // the last line's own newline
  for (size_t seen = 0; at > 0; --at)
    if (text[at - 1] == '\n' && ++seen == n) break;
  return n == 0 ? "" : text.substr(at);
}

}  // namespace

std::string box_log_path(const std::string& name) {
  return logs_dir() + "/" + name + ".log";
}

boxrt::unique_fd start_box_log(const std::string& name) {
  boxrt::make_dirs(logs_dir(), 0700);
  const std::string path = box_log_path(name);
  remove_box_log(name);
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) boxrt::throw_errno("pipe for the box's log");
  boxrt::unique_fd read_end(p[0]), write_end(p[1]);
  pid_t pid = ::fork();
  if (pid < 0) boxrt::throw_errno("fork the box's logger");
  if (pid == 0) {
    // Nothing of ours but the pipe: a descriptor kept here would outlive the run.
    const int in = read_end.get();
    if (in > 3) ::close_range(3, static_cast<unsigned>(in) - 1, 0);
    ::close_range(static_cast<unsigned>(in) + 1, ~0U, 0);
    log_main(in, path);
  }
  // The logger is reaped by whoever inherits it once we exit (its parent is us, briefly).
  return write_end;
}

void remove_box_log(const std::string& name) {
  const std::string path = box_log_path(name);
  ::unlink(path.c_str());
  ::unlink((path + ".1").c_str());
}

void print_box_log(const std::string& name, const LogOptions& o,
                   const std::function<bool()>& running, int out_fd) {
  const std::string path = box_log_path(name);
  if (!boxrt::path_exists(path))
    throw boxrt::Error("box " + backquoted(name) + " has no log (" + path +
                       "): only boxes run with -d keep one");
  std::string text = read_if_there(path + ".1") + read_if_there(path);
  if (o.tail) text = last_lines(text, *o.tail);
  boxrt::write_all(out_fd, text, "standard output");
  if (!o.follow) return;
  boxrt::unique_fd f = boxrt::open_file(path, O_RDONLY);
  struct stat st;
  ::fstat(f.get(), &st);
  off_t at = st.st_size;
  // Once the box has stopped, one more round: the logger may still be writing its last.
  for (int stopped_rounds = 0; stopped_rounds < 2; stopped_rounds += running() ? 0 : 1) {
    // A rotation: the rest of the old file, then the new one from its start.
    struct stat now;
    if (::stat(path.c_str(), &now) == 0 && now.st_ino != st.st_ino) {
      boxrt::unique_fd fresh = boxrt::open_file(path, O_RDONLY);
      std::string rest = read_if_there(path + ".1");
      if (static_cast<size_t>(at) < rest.size())
        boxrt::write_all(out_fd, rest.substr(static_cast<size_t>(at)), "standard output");
      f = std::move(fresh);
      st = now;
      at = 0;
    }
    char buf[65536];
    ssize_t n;
    while ((n = ::pread(f.get(), buf, sizeof buf, at)) > 0) {
      boxrt::write_all(out_fd, std::string(buf, static_cast<size_t>(n)), "standard output");
      at += n;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace boxapp
