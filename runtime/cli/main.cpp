// boxapp-runtime: a runc-compatible command line over libboxrt. Argument parsing and
// output formatting only; the work is in the library.
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>

#include "lifecycle/features.hpp"
#include "lifecycle/runtime.hpp"
#include "oci/default_spec.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace {

using boxrt::Error;
using nlohmann::json;

struct Globals {
  std::string root, log, log_format = "text", cgroup_manager = "cgroupfs", rootless = "auto";
  bool debug = false, systemd_cgroup = false;
};

std::string iso_now() {
  char buf[40];
  std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// Where log lines go: --log in the chosen format (engines read errors from there), else
// stderr. Set once in main, before anything logs.
const Globals* g_log_config = nullptr;

void write_log(boxrt::LogLevel level, std::string_view message) {
  const Globals& g = *g_log_config;
  const std::string msg(message), lvl(boxrt::to_string(level));
  const std::string line =
      g.log_format == "json"
          ? json{{"level", lvl}, {"msg", msg}, {"time", iso_now()}}.dump()
          : "time=\"" + iso_now() + "\" level=" + lvl + " msg=" + json(msg).dump();
  if (g.log.empty()) {
    std::fprintf(stderr, "%s\n", line.c_str());
    return;
  }
  if (FILE* f = std::fopen(g.log.c_str(), "ae")) {
    std::fprintf(f, "%s\n", line.c_str());
    std::fclose(f);
  }
}

// Errors go to stderr as one plain line, and to --log as well when there is one.
void report(const Globals& g, const std::string& msg) {
  std::fprintf(stderr, "boxapp-runtime: %s\n", msg.c_str());
  if (!g.log.empty()) write_log(boxrt::LogLevel::error, msg);
}

json state_json(const boxrt::ContainerView& v) {
  json j = oci::state_to_json(v.state);
  j.erase("org.boxapp.runtime");
  if (!j.contains("pid")) j["pid"] = 0;
  return j;
}

void print_list(const std::vector<boxrt::ContainerView>& all, const std::string& format,
                bool quiet) {
  if (quiet) {
    for (const auto& v : all)
      std::printf("%s\n", v.state.id.c_str());
    return;
  }
  if (format == "json") {
    json arr = json::array();
    for (const auto& v : all)
      arr.push_back(state_json(v));
    std::printf("%s\n", arr.dump().c_str());
    return;
  }
  std::printf("%-12s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
              "OWNER");
  for (const auto& v : all) {
    json j = state_json(v);
    std::printf("%-12s %-8d %-10s %-40s %-32s %s\n", v.state.id.c_str(), j["pid"].get<int>(),
                j["status"].get<std::string>().c_str(), v.state.bundle.c_str(),
                j.value("created", "").c_str(), j.value("owner", "").c_str());
  }
}

void add_create_options(CLI::App* cmd, boxrt::CreateOptions& o) {
  cmd->add_option("-b,--bundle", o.bundle, "bundle directory (default: current directory)");
  cmd->add_option("-f,--config", o.config, "config file (default: BUNDLE/config.json)");
  cmd->add_option("--pid-file", o.pid_file, "write the init's pid here");
  cmd->add_option("--console-socket", o.console_socket, "send the pty master to this socket");
  cmd->add_option("--preserve-fds", o.preserve_fds, "pass this many fds after stdio through");
  cmd->add_flag("--no-pivot", o.no_pivot, "use MS_MOVE + chroot instead of pivot_root");
  cmd->add_flag("--no-new-keyring", o.no_new_keyring, "keep the caller's session keyring");
}

struct Args {
  std::string id, signal = "SIGTERM", format = "table", spec_bundle = ".";
  boxrt::CreateOptions create;
  // exec
  std::string process_file, cwd, user;
  std::vector<std::string> env;
  bool tty = false;
  bool detach = false, keep = false, all = false, force = false, quiet = false,
       spec_rootless = false;
  // events
  std::string interval = "5s";
  bool stats = false;
  // update: a resources file, and runc's single-value flags
  std::string resources_file;
  std::map<std::string, std::string> limits;
};

// runc update's flags, each one field of linux.resources.
const char* const kUpdateFlags[] = {
    "memory",    "memory-swap", "memory-reservation", "pids-limit",  "cpu-shares",
    "cpu-quota", "cpu-period",  "cpuset-cpus",        "cpuset-mems", "blkio-weight"};

struct Command {
  const char* name;
  const char* help;
  void (*setup)(CLI::App*, Args&);
};

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
       c->add_option("-e,--env", a.env, "KEY=VALUE to add to the environment");
       c->add_option("--cwd", a.cwd, "working directory inside the container");
       c->add_option("-u,--user", a.user, "UID[:GID] to run as");
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
    {"kill", "send a signal to the container's init",
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

// The subcommand named on the command line, if any: only its options get registered, since
// building every subcommand's options costs a measurable part of a container start.
std::string requested_command(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    for (const auto& c : kCommands)
      if (std::strcmp(argv[i], c.name) == 0) return c.name;
  return {};
}

void print_ps(const std::vector<int>& pids, const std::string& format) {
  if (format == "json") {
    std::printf("%s\n", json(pids).dump().c_str());
    return;
  }
  std::printf("%-8s %s\n", "PID", "CMD");
  for (int pid : pids) {
    std::string cmd;
    try {
      cmd = boxrt::read_file("/proc/" + std::to_string(pid) + "/cmdline");
    } catch (const Error&) {
      // exited meanwhile
    }
    for (auto& c : cmd)
      if (c == '\0') c = ' ';
    std::printf("%-8d %s\n", pid, cmd.c_str());
  }
}

oci::Process exec_process(const boxrt::Runtime& rt, const Args& a,
                          const std::vector<std::string>& command) {
  if (!a.process_file.empty())
    return oci::parse_process(boxrt::read_file(a.process_file), a.process_file);
  if (command.empty()) throw Error("exec: give a command to run, or --process FILE");
  oci::Process p = rt.default_exec_process(a.id);
  p.args = command;
  p.terminal = a.tty;
  if (!a.cwd.empty()) p.cwd = a.cwd;
  for (const auto& kv : a.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error("exec: -e " + boxrt::backquoted(kv) + ": use KEY=VALUE");
    if (!p.env) p.env.emplace();
    auto& env = *p.env;
    std::erase_if(env,
                  [&](const std::string& e) { return e.compare(0, eq + 1, kv, 0, eq + 1) == 0; });
    env.push_back(kv);
  }
  if (!a.user.empty()) {
    unsigned uid = 0, gid = 0;
    int n = std::sscanf(a.user.c_str(), "%u:%u", &uid, &gid);
    if (n < 1) throw Error("exec: -u " + boxrt::backquoted(a.user) + ": use UID[:GID]");
    if (!p.user) p.user.emplace();
    p.user->uid = uid;
    if (n == 2) p.user->gid = gid;
  }
  return p;
}

// "5s", "500ms", "2m", or plain seconds.
int parse_interval_ms(const std::string& s) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  const std::string unit = end ? end : "";
  double ms = unit == "ms"                  ? v
              : unit == "s" || unit.empty() ? v * 1000
              : unit == "m"                 ? v * 60000
                                            : -1;
  if (end == s.c_str() || ms < 0 || ms > 86400000)
    throw Error("events: --interval " + boxrt::backquoted(s) +
                ": use a duration such as 5s or 500ms");
  return static_cast<int>(ms);
}

// 512, 64k, 256m, 2g: bytes with an optional binary suffix; -1 for unlimited.
int64_t parse_amount(const std::string& flag, const std::string& s) {
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  std::string unit = end ? end : "";
  for (auto& c : unit)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.ends_with("b") && unit.size() == 2) unit.pop_back();
  const int64_t mult = unit.empty()  ? 1
                       : unit == "k" ? 1024
                       : unit == "m" ? 1 << 20
                       : unit == "g" ? 1 << 30
                                     : 0;
  if (end == s.c_str() || mult == 0 || (v < 0 && v != -1))
    throw Error("update: --" + flag + " " + boxrt::backquoted(s) +
                ": use a number, with k, m or g if you like, or -1");
  return v * mult;
}

oci::Resources update_resources(const Args& a) {
  oci::Resources r;
  if (!a.resources_file.empty()) {
    const bool stdin_doc = a.resources_file == "-";
    std::string text;
    if (stdin_doc) {
      std::string line;
      while (std::getline(std::cin, line))
        text += line + "\n";
    } else {
      text = boxrt::read_file(a.resources_file);
    }
    r = oci::parse_resources(text, stdin_doc ? "<stdin>" : a.resources_file);
  }
  auto has = [&](const char* f) { return a.limits.count(f) && !a.limits.at(f).empty(); };
  auto num = [&](const char* f) { return parse_amount(f, a.limits.at(f)); };
  // Flags override the file's values field by field.
  auto mem = [&]() -> oci::MemoryResources& { return r.memory ? *r.memory : r.memory.emplace(); };
  auto cpu = [&]() -> oci::CpuResources& { return r.cpu ? *r.cpu : r.cpu.emplace(); };
  if (has("memory")) mem().limit = num("memory");
  if (has("memory-swap")) mem().swap = num("memory-swap");
  if (has("memory-reservation")) mem().reservation = num("memory-reservation");
  if (has("pids-limit")) (r.pids ? *r.pids : r.pids.emplace()).limit = num("pids-limit");
  if (has("cpu-shares")) cpu().shares = static_cast<uint64_t>(num("cpu-shares"));
  if (has("cpu-quota")) cpu().quota = num("cpu-quota");
  if (has("cpu-period")) cpu().period = static_cast<uint64_t>(num("cpu-period"));
  if (has("cpuset-cpus")) cpu().cpus = a.limits.at("cpuset-cpus");
  if (has("cpuset-mems")) cpu().mems = a.limits.at("cpuset-mems");
  if (has("blkio-weight"))
    (r.block_io ? *r.block_io : r.block_io.emplace()).weight =
        static_cast<uint16_t>(num("blkio-weight"));
  if (a.resources_file.empty() && !r.memory && !r.pids && !r.cpu && !r.block_io)
    throw Error("update: give --resources FILE or a limit such as --memory or --pids-limit");
  return r;
}

int dispatch(const std::string& cmd, const Globals& g, Args& a,
             const std::vector<std::string>& rest) {
  boxrt::RuntimeOptions ro;
  ro.root = g.root;
  ro.rootless = g.rootless == "true"    ? boxrt::RootlessMode::yes
                : g.rootless == "false" ? boxrt::RootlessMode::no
                                        : boxrt::RootlessMode::automatic;
  if (cmd == "features") {
    std::printf("%s\n", boxrt::runtime_features().dump(2).c_str());
    return 0;
  }
  if (cmd == "spec") {
    std::string path = a.spec_bundle + "/config.json";
    if (::access(path.c_str(), F_OK) == 0)
      throw Error("file " + boxrt::backquoted(path) + " exists");
    boxrt::write_file_atomic(
        path, oci::dump_spec(oci::default_spec(a.spec_rootless, ::getuid(), ::getgid())));
    return 0;
  }
  ro.cgroup_manager = g.systemd_cgroup || g.cgroup_manager == "systemd"
                          ? boxrt::CgroupManager::systemd
                      : g.cgroup_manager == "disabled" ? boxrt::CgroupManager::disabled
                                                       : boxrt::CgroupManager::cgroupfs;
  boxrt::Runtime rt(ro);
  if (cmd == "create") rt.create(a.id, a.create);
  if (cmd == "start") rt.start(a.id);
  if (cmd == "run") return rt.run(a.id, a.create, a.detach, a.keep);
  if (cmd == "exec") {
    boxrt::ExecOptions eo;
    eo.process = exec_process(rt, a, rest);
    eo.detach = a.detach;
    eo.pid_file = a.create.pid_file;
    eo.console_socket = a.create.console_socket;
    eo.preserve_fds = a.create.preserve_fds;
    return rt.exec(a.id, eo);
  }
  if (cmd == "state") std::printf("%s\n", state_json(rt.state(a.id)).dump(2).c_str());
  if (cmd == "list") print_list(rt.list(), a.format, a.quiet);
  if (cmd == "kill") rt.kill(a.id, boxrt::parse_signal(a.signal), a.all);
  if (cmd == "delete") rt.remove(a.id, a.force);
  if (cmd == "ps") print_ps(rt.pids(a.id), a.format);
  if (cmd == "pause") rt.pause(a.id);
  if (cmd == "resume") rt.resume(a.id);
  if (cmd == "update") rt.update(a.id, update_resources(a));
  if (cmd == "events") {
    if (a.stats) {
      std::printf("%s\n",
                  json{{"type", "stats"}, {"id", a.id}, {"data", rt.stats(a.id)}}.dump().c_str());
      return 0;
    }
    rt.events(a.id, parse_interval_ms(a.interval), [](const json& event) {
      std::printf("%s\n", event.dump().c_str());
      std::fflush(stdout);
    });
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"boxapp-runtime: a rootless OCI runtime (runtime-spec 1.2)", "boxapp-runtime"};
  app.set_version_flag("-v,--version",
                       std::string("boxapp-runtime version " BOXAPP_VERSION "\nspec: ") +
                           std::string(oci::kVersion));
  app.require_subcommand(1);
  Globals g;
  app.add_option("--root", g.root, "state directory");
  app.add_option("--log", g.log, "log file");
  app.add_option("--log-format", g.log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", g.debug, "debug logging");
  app.add_flag("--systemd-cgroup", g.systemd_cgroup, "manage cgroups through systemd");
  app.add_option("--cgroup-manager", g.cgroup_manager, "cgroupfs, systemd or disabled")
      ->check(CLI::IsMember({"cgroupfs", "systemd", "disabled"}));
  app.add_option("--rootless", g.rootless, "auto, true or false")
      ->check(CLI::IsMember({"auto", "true", "false"}));

  Args args;
  g_log_config = &g;
  const std::string wanted = requested_command(argc, argv);
  for (const auto& c : kCommands) {
    CLI::App* sub = app.add_subcommand(c.name, c.help);
    if (wanted.empty() || wanted == c.name) c.setup(sub, args);
  }
  CLI11_PARSE(app, argc, argv);
  boxrt::set_log_sink(write_log, g.debug ? boxrt::LogLevel::debug : boxrt::LogLevel::warning);

  try {
    CLI::App* sub = app.get_subcommands().at(0);
    return dispatch(sub->get_name(), g, args, sub->remaining());
  } catch (const std::exception& e) {
    report(g, e.what());
    return 1;
  }
}
