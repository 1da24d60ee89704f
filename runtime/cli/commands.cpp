// What each boxapp-runtime command takes, in runc's names.
#include "cli/commands.hpp"

#include <cstring>

namespace boxrt_cli {
namespace {

void add_create_options(CLI::App* cmd, boxrt::CreateOptions& o) {
  cmd->add_option("-b,--bundle", o.bundle, "bundle directory (default: current directory)");
  cmd->add_option("-f,--config", o.config, "config file (default: BUNDLE/config.json)");
  cmd->add_option("--pid-file", o.pid_file, "write the init's pid here");
  cmd->add_option("--console-socket", o.console_socket, "send the pty master to this socket");
  cmd->add_option("--preserve-fds", o.preserve_fds, "pass this many fds after stdio through");
  cmd->add_flag("--no-pivot", o.no_pivot, "use MS_MOVE + chroot instead of pivot_root");
  cmd->add_flag("--no-new-keyring", o.no_new_keyring, "keep the caller's session keyring");
}

// runc update's flags, each one field of linux.resources.
const char* const kUpdateFlags[] = {
    "memory",    "memory-swap", "memory-reservation", "pids-limit",  "cpu-shares",
    "cpu-quota", "cpu-period",  "cpuset-cpus",        "cpuset-mems", "blkio-weight"};

void add_id(CLI::App* c, Args& a) {
  c->add_option("id", a.id, "container id")->required();
}

const Command kCommands[] = {
    {"create", "create a container, leaving it waiting for start",
     [](CLI::App* c, Args& a) {
       add_create_options(c, a.create);
       add_id(c, a);
     }},
    {"start", "run the created container's process", add_id},
    {"run", "create and start a container",
     [](CLI::App* c, Args& a) {
       add_create_options(c, a.create);
       c->add_flag("-d,--detach", a.detach, "return once the process runs");
       c->add_flag("--keep", a.keep, "keep the state after the container exits");
       add_id(c, a);
     }},
    {"exec", "run a new process in a running container",
     [](CLI::App* c, Args& a) {
       c->add_flag("-d,--detach", a.detach, "return once the process runs");
       c->add_flag("-t,--tty", a.tty, "give the process a terminal (needs --console-socket)");
       c->add_option("-p,--process", a.process_file, "process.json to run instead of CMD");
       c->add_option("--pid-file", a.create.pid_file, "write the process's pid here");
       c->add_option("--console-socket", a.create.console_socket, "send the pty master here");
       // One value per flag, as runc's: `--env K=V ID CMD` leaves ID and CMD alone.
       c->add_option("-e,--env", a.env, "KEY=VALUE to add to the environment")
           ->allow_extra_args(false);
       c->add_option("--cwd", a.cwd, "working directory inside the container");
       c->add_option("-u,--user", a.user, "UID[:GID] to run as");
       c->add_option("-g,--additional-gids", a.additional_gids, "another group, by gid")
           ->allow_extra_args(false);
       c->add_option("-c,--cap", a.caps, "add a capability (CAP_NET_ADMIN)")
           ->allow_extra_args(false);
       c->add_flag("--no-new-privs", a.no_new_privs, "set no_new_privileges");
       c->add_option("--apparmor", a.apparmor, "AppArmor profile to run under");
       c->add_option("--process-label", a.process_label, "SELinux label to run under");
       c->add_option("--cgroup", a.cgroup, "[CONTROLLERS:]PATH: a sub-cgroup to join");
       c->add_option("--preserve-fds", a.create.preserve_fds, "fds after stdio to pass on");
       add_id(c, a);
       // Everything after ID is the command, options of its own included.
       c->prefix_command();
     }},
    {"state", "print the container's state as JSON", add_id},
    {"list", "list containers",
     [](CLI::App* c, Args& a) {
       c->add_option("-f,--format", a.format)->check(CLI::IsMember({"table", "json"}));
       c->add_flag("-q,--quiet", a.quiet, "ids only");
     }},
    {"kill", "send a signal to the container's init (0: is it running?)",
     [](CLI::App* c, Args& a) {
       c->add_flag("-a,--all", a.all, "to every process in the container");
       add_id(c, a);
       c->add_option("signal", a.signal, "name (KILL, SIGKILL) or number; default SIGTERM");
     }},
    {"delete", "delete a stopped (or, with -f, any) container",
     [](CLI::App* c, Args& a) {
       c->add_flag("-f,--force", a.force, "kill it first if it runs");
       add_id(c, a);
     }},
    {"ps", "list the container's processes",
     [](CLI::App* c, Args& a) {
       c->add_option("-f,--format", a.format)->check(CLI::IsMember({"table", "json"}));
       add_id(c, a);
     }},
    {"pause", "freeze the container's processes", add_id},
    {"update", "change the container's resource limits",
     [](CLI::App* c, Args& a) {
       c->add_option("-r,--resources", a.resources_file,
                     "linux.resources JSON document (- for stdin)");
       for (const char* flag : kUpdateFlags)
         c->add_option(std::string("--") + flag, a.limits[flag]);
       add_id(c, a);
     }},
    {"events", "print OOM, exit and (every interval) stats events as JSON lines",
     [](CLI::App* c, Args& a) {
       c->add_flag("--stats", a.stats, "print the stats once and exit");
       c->add_option("--interval", a.interval, "between stats events (5s, 500ms; 0: none)");
       add_id(c, a);
     }},
    {"resume", "thaw the container's processes", add_id},
    {"features", "print what this runtime supports as JSON", [](CLI::App*, Args&) {}},
    {"spec", "write a default config.json",
     [](CLI::App* c, Args& a) {
       c->add_flag("--rootless", a.spec_rootless, "for a rootless container");
       c->add_option("-b,--bundle", a.spec_bundle, "where to write it");
     }},
};

}  // namespace

std::span<const Command> commands() {
  return kCommands;
}

std::string requested_command(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    for (const auto& c : kCommands)
      if (std::strcmp(argv[i], c.name) == 0) return c.name;
  return {};
}

}  // namespace boxrt_cli
