// Facts about host processes read from /proc, and pidfds.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "util/unique_fd.hpp"

namespace boxrt {

struct ProcStat {
  char state = '?';         // R S D Z T ...
  uint64_t start_time = 0;  // clock ticks after boot; with the pid, names a process uniquely
  pid_t ppid = 0;
};

// Reads /proc/PID/stat; nullopt when the process does not exist.
std::optional<ProcStat> read_proc_stat(pid_t pid);

// True when `pid` is alive (not a zombie) and is the process that started at `start_time`,
// so a recycled pid is never mistaken for the container's init.
bool is_same_live_process(pid_t pid, uint64_t start_time);

// pidfd_open(2); an invalid fd with errno set when the process is gone.
unique_fd open_pidfd(pid_t pid);

// A signal by number ("9") or name ("KILL", "SIGKILL"); throws "unknown signal `X`".
int parse_signal(const std::string& name);

// Inode of /proc/PID/ns/NAME (which namespace a process is in), or 0.
uint64_t namespace_inode(pid_t pid, const char* name);

// Our uid as the parent user namespace knows it: the user's own, where the session's user
// namespace (ns/session.hpp) makes us uid 0 or another id.
uid_t host_uid();

// A forked helper's name, as ps shows it (comm, and args: the argv area, truncated to the
// room the parent's command line left).
void set_process_title(const char* title);

// A helper process of ours that outlives its starter (the sound broker, the bridge's
// holder): a session of its own, no signal blocked, ^C, hangups and SIGPIPE ignored, `title`
// in ps, none of the starter's descriptors but `keep`, stdio on /dev/null, / as its cwd.
void become_daemon(const char* title, int keep);

// Forks `main` detached from us (a double fork: not our child, nothing of ours to reap),
// with the write end of a pipe whose read end is returned: `main` writes an error there, or
// closes it once it serves.
unique_fd spawn_detached(void (*main)(int ready_fd, void* arg), void* arg);
// Starts a program (argv[0] on PATH) in a session of its own, its stdio on /dev/null, and
// doesn't wait for it: work that needn't hold up a caller about to exit (removing what a
// box left). It stays a zombie until the caller exits.
void spawn_detached_program(const std::vector<std::string>& argv);

// /proc/PID/ns/KIND ("net", "mnt") of a container's init; or, since an init made undumpable
// (as the runtime makes its own) is closed to all but real root, of one of its children, the
// app, which is in the same namespaces. Throws when neither opens.
unique_fd open_namespace_of(pid_t init, const char* kind);

// This program's own file (/proc/self/exe).
std::string own_executable();

// Runs a program (argv[0], looked up on PATH) and waits for it: its exit status (128+N when
// signal N killed it), -1 when it could not start. `quiet`: its stdout and stderr go to
// /dev/null, for a tool whose chatter isn't ours to print (update-desktop-database).
int run_program(const std::vector<std::string>& argv, bool quiet);

// The same, with what it writes to stdout and stderr kept (`err` null: stderr is ours).
struct ProgramOutput {
  int status = -1;
  std::string out, err;
};
ProgramOutput run_program_output(const std::vector<std::string>& argv, bool keep_stderr = true);

// The same, with its stdout and stderr as one stream handed over a line at a time (without
// the newline) as it comes: a long tool's progress, written to a log as well as shown.
// `on_line` must not throw (the program would be left unwaited).
int run_program_lines(const std::vector<std::string>& argv,
                      const std::function<void(const std::string&)>& on_line);

}  // namespace boxrt
