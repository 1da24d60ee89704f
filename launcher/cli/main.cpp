// boxapp: run an app in a box. Argument parsing and output only: the run flow is
// run/run.hpp, the boxes run/boxes.hpp, profiles profile/, all in libboxapp, and the
// containers libboxrt's, called in-process.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <set>

#include "host/doctor.hpp"
#include "profile/catalog.hpp"
#include "profile/profile.hpp"
#include "run/box_runtime.hpp"
#include "run/boxes.hpp"
#include "run/prepare.hpp"
#include "run/run.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace {

using boxrt::backquoted;
using nlohmann::json;

// What the command line says.
struct Args {
  bool debug = false;
  std::string name, target, bundle, signal = "TERM";
  std::vector<std::string> args, files;
  bool detach = false, rm = false, as_json = false, force = false;
  int grace = 10;
};

// The subcommands, to dispatch on once parsed.
struct Commands {
  CLI::App *run, *spec, *ps, *stop, *kill, *exec, *rm, *doctor, *profiles, *show, *check, *edit;
};

Commands define_commands(CLI::App& app, Args& a) {
  app.set_version_flag("-v,--version", "boxapp version " BOXAPP_VERSION);
  app.require_subcommand(0, 1);
  app.add_flag("--debug", a.debug, "debug logging");
  Commands c;
  c.run = app.add_subcommand("run", "run an app in a box");
  c.run->add_option("--name", a.name, "name of the box (default: the app's)");
  c.run->add_flag("-d,--detach", a.detach, "return once it runs");
  c.run->add_flag("--rm", a.rm, "remove the box when its app ends (always so in the foreground)");
  c.run->add_option("app", a.target, "profile name or file")->required();
  c.run->add_option("args", a.args, "arguments for the app, after --");
  c.spec = app.add_subcommand("spec", "print the compiled config.json");
  c.spec->add_option("app", a.target)->required();
  c.spec->add_option("--bundle", a.bundle, "write a complete bundle here instead");
  c.ps = app.add_subcommand("ps", "list boxes");
  c.ps->add_flag("--json", a.as_json);
  c.stop = app.add_subcommand("stop", "SIGTERM, then SIGKILL after a grace period");
  c.stop->add_option("name", a.name)->required();
  c.stop->add_option("-t,--time", a.grace, "seconds of grace (default 10)");
  c.kill = app.add_subcommand("kill", "send a signal to the app");
  c.kill->add_option("name", a.name)->required();
  c.kill->add_option("signal", a.signal);
  c.exec = app.add_subcommand("exec", "run a command in a running box");
  c.exec->add_option("name", a.name)->required();
  c.exec->prefix_command();  // everything after NAME is the command, its options included
  c.rm = app.add_subcommand("rm", "remove a box");
  c.rm->add_option("name", a.name)->required();
  c.rm->add_flag("-f,--force", a.force, "kill it first if it runs");
  c.doctor = app.add_subcommand("doctor", "what this host gives boxes, and fixes");
  c.profiles = app.add_subcommand("profiles", "list, show, check and edit profiles");
  c.profiles->require_subcommand(0, 1);
  c.show = c.profiles->add_subcommand("show", "the merged profile");
  c.show->add_option("app", a.target)->required();
  c.check = c.profiles->add_subcommand("check", "parse, compile and validate profiles");
  c.check->add_option("files", a.files)->required();
  c.edit = c.profiles->add_subcommand("edit", "copy a profile to your config and edit it");
  c.edit->add_option("app", a.target)->required();
  return c;
}

// `boxapp APP [-- ARGS]` is run for short. CLI11 takes the arguments reversed.
std::vector<std::string> command_line(int argc, char** argv) {
  std::vector<std::string> list(argv + 1, argv + argc);
  const std::set<std::string> commands = {"run", "spec",     "ps",     "stop",   "kill", "exec",
                                          "rm",  "profiles", "doctor", "--help", "-h",   "--debug"};
  if (!list.empty() && !commands.count(list[0]) && list[0][0] != '-')
    list.insert(list.begin(), "run");
  return {list.rbegin(), list.rend()};
}

int print_run(const Args& a, bool have_args) {
  boxapp::RunRequest r;
  r.app = a.target;
  r.name = a.name;
  r.detach = a.detach;
  r.remove_when_done = a.rm;
  if (have_args) r.args = a.args;
  r.terminal = !a.detach && ::isatty(0) && ::isatty(1);
  boxapp::RunResult result = boxapp::run_box(r);
  if (a.detach) std::printf("%s\n", result.name.c_str());
  return result.status;
}

int print_spec(const Args& a) {
  if (a.bundle.empty())
    std::printf("%s", oci::dump_spec(boxapp::spec_of(a.target)).c_str());
  else
    std::printf("%s\n", boxapp::write_bundle(a.target, a.bundle).c_str());
  return 0;
}

// One line per finding; exit status 1 when any is a problem.
int print_doctor() {
  bool problems = false;
  for (const auto& f : boxapp::diagnose(boxapp::gather_host_facts())) {
    const char* mark = f.level == boxapp::Finding::Level::ok     ? "ok     "
                       : f.level == boxapp::Finding::Level::note ? "note   "
                                                                 : "PROBLEM";
    problems = problems || f.level == boxapp::Finding::Level::problem;
    std::printf("%s %-8s %s\n", mark, f.area.c_str(), f.what.c_str());
    if (!f.fix.empty()) std::printf("%16s fix: %s\n", "", f.fix.c_str());
  }
  return problems ? 1 : 0;
}

int print_ps(bool as_json) {
  const auto boxes = boxapp::list_boxes();
  if (as_json) {
    json out = json::array();
    for (const auto& b : boxes)
      out.push_back({{"name", b.name},
                     {"app", b.app},
                     {"pid", b.pid},
                     {"status", b.status},
                     {"created", b.created}});
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("%-20s %-16s %-8s %-8s %s\n", "NAME", "APP", "PID", "STATUS", "CREATED");
  for (const auto& b : boxes)
    std::printf("%-20s %-16s %-8d %-8s %s\n", b.name.c_str(), b.app.c_str(), b.pid,
                b.status.c_str(), b.created.c_str());
  return 0;
}

int print_profiles() {
  std::printf("%-16s %-48s %s\n", "NAME", "DESCRIPTION", "FROM");
  for (const auto& p : boxapp::list_profiles())
    std::printf("%-16s %-48s %s\n", p.name.c_str(), p.description.substr(0, 48).c_str(),
                p.dir.c_str());
  return 0;
}

int print_check(const std::vector<std::string>& files) {
  const auto errors = boxapp::check_profiles(files);
  int failed = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    if (errors[i].empty()) {
      std::printf("%s: ok\n", files[i].c_str());
      continue;
    }
    std::fprintf(stderr, "%s\n", errors[i].c_str());
    ++failed;
  }
  return failed ? 1 : 0;
}

int edit_profile(const std::string& app) {
  const std::string mine = boxapp::user_profile_copy(app);
  const char* editor = ::getenv("EDITOR");
  std::string ed = editor && *editor ? editor : "vi";
  ::execlp(ed.c_str(), ed.c_str(), mine.c_str(), static_cast<char*>(nullptr));
  boxrt::throw_errno("run the editor " + backquoted(ed));
}

int dispatch(const Commands& c, const Args& a) {
  if (*c.run) return print_run(a, c.run->count("args") > 0);
  if (*c.spec) return print_spec(a);
  if (*c.ps) return print_ps(a.as_json);
  if (*c.stop) return boxapp::stop_box(a.name, a.grace), 0;
  if (*c.kill) return boxapp::box_runtime().kill(a.name, boxrt::parse_signal(a.signal), false), 0;
  if (*c.exec) return boxapp::exec_in_box(a.name, c.exec->remaining());
  if (*c.rm) return boxapp::box_runtime().remove(a.name, a.force), 0;
  if (*c.show) {
    std::printf("%s", boxapp::merged_profile_toml(boxapp::find_profile(a.target)).c_str());
    return 0;
  }
  if (*c.doctor) return print_doctor();
  if (*c.check) return print_check(a.files);
  if (*c.edit) return edit_profile(a.target);
  if (*c.profiles) return print_profiles();
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"boxapp: desktop applications in rootless containers", "boxapp"};
  Args args;
  const Commands commands = define_commands(app, args);
  try {
    app.parse(command_line(argc, argv));
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  boxrt::set_log_sink(
      [](boxrt::LogLevel level, std::string_view msg) {
        std::fprintf(stderr, "boxapp: %s: %.*s\n", std::string(boxrt::to_string(level)).c_str(),
                     static_cast<int>(msg.size()), msg.data());
      },
      args.debug ? boxrt::LogLevel::debug : boxrt::LogLevel::warning);
  try {
    int status = dispatch(commands, args);
    if (status >= 0) return status;
    std::printf("%s", app.help().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "boxapp: %s\n", e.what());
    return 1;
  }
}
