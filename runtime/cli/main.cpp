// boxapp-runtime: a runc-compatible command line over libboxrt. Argument parsing and
// output formatting only; the work is in the library.
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "container/runtime.hpp"
#include "oci/default_spec.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace {

using boxrt::Error;
using nlohmann::json;

struct Globals {
  std::string root, log, log_format = "text", cgroup_manager = "cgroupfs", rootless = "auto";
  bool debug = false, systemd_cgroup = false;
};

int parse_signal(std::string s) {
  if (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0]))) {
    int n = std::atoi(s.c_str());
    if (n > 0 && n < NSIG) return n;
  } else {
    if (s.rfind("SIG", 0) == 0) s = s.substr(3);
    for (int n = 1; n < NSIG; ++n)
      if (const char* a = ::sigabbrev_np(n); a && s == a) return n;
  }
  throw Error("unknown signal " + boxrt::backquoted(s));
}

std::string iso_now() {
  char buf[40];
  std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// Errors go to stderr, and to --log in the chosen format (engines read it from there).
void report(const Globals& g, const std::string& msg) {
  std::fprintf(stderr, "boxapp-runtime: %s\n", msg.c_str());
  if (g.log.empty()) return;
  FILE* f = std::fopen(g.log.c_str(), "ae");
  if (!f) return;
  if (g.log_format == "json")
    std::fprintf(f, "%s\n", json{{"level", "error"}, {"msg", msg}, {"time", iso_now()}}.dump().c_str());
  else
    std::fprintf(f, "time=\"%s\" level=error msg=\"%s\"\n", iso_now().c_str(), msg.c_str());
  std::fclose(f);
}

json state_json(const boxrt::ContainerView& v) {
  json j = oci::state_to_json(v.state);
  j.erase("org.boxapp.runtime");
  if (!j.contains("pid")) j["pid"] = 0;
  return j;
}

void print_list(const std::vector<boxrt::ContainerView>& all, const std::string& format, bool quiet) {
  if (quiet) {
    for (const auto& v : all) std::printf("%s\n", v.state.id.c_str());
    return;
  }
  if (format == "json") {
    json arr = json::array();
    for (const auto& v : all) arr.push_back(state_json(v));
    std::printf("%s\n", arr.dump().c_str());
    return;
  }
  std::printf("%-12s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"boxapp-runtime: a rootless OCI runtime (runtime-spec 1.2)", "boxapp-runtime"};
  app.set_version_flag("-v,--version", std::string("boxapp-runtime version 0.1.0\nspec: ") +
                                           std::string(oci::kVersion));
  app.require_subcommand(1);
  Globals g;
  app.add_option("--root", g.root, "state directory");
  app.add_option("--log", g.log, "log file");
  app.add_option("--log-format", g.log_format, "text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", g.debug, "debug logging");
  app.add_flag("--systemd-cgroup", g.systemd_cgroup, "manage cgroups through systemd");
  app.add_option("--cgroup-manager", g.cgroup_manager, "cgroupfs, systemd or disabled")
      ->check(CLI::IsMember({"cgroupfs", "systemd", "disabled"}));
  app.add_option("--rootless", g.rootless, "auto, true or false")
      ->check(CLI::IsMember({"auto", "true", "false"}));

  std::string id, signal = "SIGTERM", format = "table", spec_bundle = ".";
  boxrt::CreateOptions co;
  bool detach = false, keep = false, all = false, force = false, quiet = false, spec_rootless = false;

  auto* create = app.add_subcommand("create", "create a container, leaving it waiting for start");
  add_create_options(create, co);
  create->add_option("id", id)->required();
  auto* start = app.add_subcommand("start", "run the created container's process");
  start->add_option("id", id)->required();
  auto* run = app.add_subcommand("run", "create and start a container");
  add_create_options(run, co);
  run->add_flag("-d,--detach", detach, "return once the process runs");
  run->add_flag("--keep", keep, "keep the state after the container exits");
  run->add_option("id", id)->required();
  auto* state = app.add_subcommand("state", "print the container's state as JSON");
  state->add_option("id", id)->required();
  auto* list = app.add_subcommand("list", "list containers");
  list->add_option("-f,--format", format)->check(CLI::IsMember({"table", "json"}));
  list->add_flag("-q,--quiet", quiet, "ids only");
  auto* kill = app.add_subcommand("kill", "send a signal to the container's init");
  kill->add_flag("-a,--all", all, "to every process in the container");
  kill->add_option("id", id)->required();
  kill->add_option("signal", signal);
  auto* del = app.add_subcommand("delete", "delete a stopped (or, with -f, any) container");
  del->add_flag("-f,--force", force, "kill it first if it runs");
  del->add_option("id", id)->required();
  auto* ps = app.add_subcommand("ps", "list the container's processes");
  ps->add_option("-f,--format", format)->check(CLI::IsMember({"table", "json"}));
  ps->add_option("id", id)->required();
  auto* pause = app.add_subcommand("pause", "freeze the container's processes");
  pause->add_option("id", id)->required();
  auto* resume = app.add_subcommand("resume", "thaw the container's processes");
  resume->add_option("id", id)->required();
  auto* spec = app.add_subcommand("spec", "write a default config.json");
  spec->add_flag("--rootless", spec_rootless, "for a rootless container");
  spec->add_option("-b,--bundle", spec_bundle, "where to write it");

  CLI11_PARSE(app, argc, argv);

  try {
    boxrt::RuntimeOptions ro;
    ro.root = g.root;
    ro.rootless = g.rootless == "true"    ? boxrt::RootlessMode::yes
                  : g.rootless == "false" ? boxrt::RootlessMode::no
                                          : boxrt::RootlessMode::automatic;
    if (*spec) {
      std::string path = spec_bundle + "/config.json";
      if (::access(path.c_str(), F_OK) == 0) throw Error("file " + boxrt::backquoted(path) + " exists");
      boxrt::write_file_atomic(path, oci::dump_spec(oci::default_spec(spec_rootless, ::getuid(), ::getgid())));
      return 0;
    }
    boxrt::Runtime rt(ro);
    if (*create) rt.create(id, co);
    if (*start) rt.start(id);
    if (*run) return rt.run(id, co, detach, keep);
    if (*state) std::printf("%s\n", state_json(rt.state(id)).dump(2).c_str());
    if (*list) print_list(rt.list(), format, quiet);
    if (*kill) rt.kill(id, parse_signal(signal), all);
    if (*del) rt.remove(id, force);
    if (*ps) {
      auto pids = rt.pids(id);
      if (format == "json") {
        std::printf("%s\n", json(pids).dump().c_str());
      } else {
        std::printf("%-8s %s\n", "PID", "CMD");
        for (int pid : pids) {
          std::string cmd;
          try {
            cmd = boxrt::read_file("/proc/" + std::to_string(pid) + "/cmdline");
          } catch (const Error&) {
          }
          for (auto& c : cmd)
            if (c == '\0') c = ' ';
          std::printf("%-8d %s\n", pid, cmd.c_str());
        }
      }
    }
    if (*pause || *resume) {
      rt.state(id);  // "does not exist" first
      throw Error(std::string(*pause ? "pause" : "resume") + " " + boxrt::backquoted(id) +
                  ": needs the cgroup v2 freezer, and this runtime does not manage cgroups yet");
    }
  } catch (const std::exception& e) {
    report(g, e.what());
    return 1;
  }
  return 0;
}
