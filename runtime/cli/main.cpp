// boxapp-runtime: a runc-compatible command line over libboxrt. Argument parsing and
// output formatting only; the work is in the library.
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>

#include "cli/commands.hpp"
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
using boxrt_cli::Args;
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
    // In runc's order, which scripts that read it as text rely on.
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& v : all) {
      json j = state_json(v);
      nlohmann::ordered_json& o = arr.emplace_back(nlohmann::ordered_json::object());
      for (const char* key : {"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created",
                              "annotations", "owner"})
        if (j.contains(key)) o[key] = j[key];
    }
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
  ro.resources_required = true;  // as runc; boxapp's in-process runs keep warning
  boxrt::Runtime rt(ro);
  if (cmd == "create") rt.create(a.id, a.create);
  if (cmd == "start") rt.start(a.id);
  if (cmd == "run") return rt.run(a.id, a.create, a.detach, a.keep);
  if (cmd == "exec") {
    boxrt::ExecOptions eo;
    eo.process = boxrt_cli::exec_process(rt, a, rest);
    if (!a.cgroup.empty()) eo.sub_cgroup = boxrt_cli::exec_sub_cgroup(a.cgroup);
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
  if (cmd == "update") rt.update(a.id, boxrt_cli::update_resources(a));
  if (cmd == "events") {
    if (a.stats) {
      std::printf("%s\n",
                  json{{"type", "stats"}, {"id", a.id}, {"data", rt.stats(a.id)}}.dump().c_str());
      return 0;
    }
    rt.events(a.id, boxrt_cli::parse_interval_ms(a.interval), [](const json& event) {
      std::printf("%s\n", event.dump().c_str());
      std::fflush(stdout);
    });
  }
  return 0;
}

}  // namespace

// runc's shape, which scripts read: version, spec, libseccomp; and crun's feature line.
std::string version_text() {
  const scmp_version* v = seccomp_version();
  return std::string("boxapp-runtime version " BOXAPP_VERSION "\nspec: ") +
         std::string(oci::kVersion) + "\nlibseccomp: " + std::to_string(v->major) + "." +
         std::to_string(v->minor) + "." + std::to_string(v->micro) +
         "\n+SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +USERNS";
}

// A word where the command goes that names none: runc's message and exit status (3), before
// CLI11 would take `foo -h` for a request for help.
bool names_unknown_command(int argc, char** argv) {
  static const char* const with_value[] = {"--root", "--log", "--log-format", "--cgroup-manager",
                                           "--rootless"};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.empty() || arg[0] == '-') {
      for (const char* o : with_value)
        if (arg == o) ++i;
      continue;
    }
    for (const auto& c : boxrt_cli::commands())
      if (arg == c.name) return false;
    std::fprintf(stderr, "boxapp-runtime: No help topic for '%s'\n", arg.c_str());
    return true;
  }
  return false;
}

int main(int argc, char** argv) {
  if (names_unknown_command(argc, argv)) return 3;
  CLI::App app{"boxapp-runtime: a rootless OCI runtime (runtime-spec 1.2)", "boxapp-runtime"};
  app.set_version_flag("-v,--version", version_text());
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
  const std::string wanted = boxrt_cli::requested_command(argc, argv);
  for (const auto& c : boxrt_cli::commands()) {
    CLI::App* sub = app.add_subcommand(c.name, c.help);
    if (wanted.empty() || wanted == c.name) c.setup(sub, args);
  }
  CLI11_PARSE(app, argc, argv);
  boxrt::set_log_sink(write_log, g.debug ? boxrt::LogLevel::debug : boxrt::LogLevel::warning);

  CLI::App* sub = app.get_subcommands().at(0);
  try {
    return dispatch(sub->get_name(), g, args, sub->remaining());
  } catch (const std::exception& e) {
    report(g, e.what());
    // As runc: exec's own failures are 255, apart from any status the process could have.
    return sub->get_name() == "exec" ? 255 : 1;
  }
}
