// boxapp: run an app in a box. Argument parsing and output only: the run flow is
// run/run.hpp, the boxes run/boxes.hpp, profiles profile/, all in libboxapp, and the
// containers libboxrt's, called in-process.
#include <unistd.h>

#include <cstdio>

#include "cli/boxapp_commands.hpp"
#include "host/doctor.hpp"
#include "profile/catalog.hpp"
#include "profile/profile.hpp"
#include "run/box_log.hpp"
#include "run/box_runtime.hpp"
#include "run/boxes.hpp"
#include "run/inspect.hpp"
#include "run/prepare.hpp"
#include "run/run.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace {

using boxapp_cli::Args;
using boxapp_cli::Commands;
using boxrt::backquoted;
using nlohmann::json;

int print_run(const Args& a, bool have_args) {
  boxapp::RunRequest r;
  r.app = a.target;
  r.name = a.name;
  r.instance = a.instance;
  r.detach = a.detach;
  r.remove_when_done = a.rm;
  r.ports = a.ports;
  r.publish_all = a.publish_all;
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

int print_ps(bool as_json, bool all) {
  const auto boxes = boxapp::list_boxes(all);
  if (as_json) {
    json out = json::array();
    for (const auto& b : boxes)
      out.push_back({{"name", b.name},
                     {"app", b.app},
                     {"pid", b.pid},
                     {"status", b.status},
                     {"created", b.created}});
    for (size_t i = 0; i < boxes.size(); ++i)
      if (!boxes[i].ip.empty()) {
        out[i]["ip"] = boxes[i].ip;
        out[i]["ports"] = boxes[i].ports;
      }
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("%-20s %-16s %-8s %-8s %-15s %-30s %s\n", "NAME", "APP", "PID", "STATUS", "IP",
              "CREATED", "PORTS");
  for (const auto& b : boxes) {
    std::string ports;
    for (const auto& p : b.ports)
      ports += (ports.empty() ? "" : ", ") + p;
    std::printf("%-20s %-16s %-8d %-8s %-15s %-30s %s\n", b.name.c_str(), b.app.c_str(), b.pid,
                b.status.c_str(), b.ip.empty() ? "-" : b.ip.c_str(), b.created.c_str(),
                ports.c_str());
  }
  return 0;
}

int print_profiles(bool as_json) {
  if (as_json) {
    json out = json::array();
    for (const auto& p : boxapp::list_profiles())
      out.push_back({{"name", p.name},
                     {"installed", p.installed},
                     {"description", p.description},
                     {"from", p.dir}});
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("%-16s %-9s %-48s %s\n", "NAME", "INSTALLED", "DESCRIPTION", "FROM");
  for (const auto& p : boxapp::list_profiles())
    std::printf("%-16s %-9s %-48s %s\n", p.name.c_str(), p.installed ? "yes" : "no",
                p.description.substr(0, 48).c_str(), p.dir.c_str());
  return 0;
}

int print_check(const std::vector<std::string>& files) {
  const auto checks = boxapp::check_profiles(files);
  int failed = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    for (const auto& w : checks[i].warnings)
      std::fprintf(stderr, "boxapp: warning: %s\n", w.c_str());
    if (checks[i].error.empty()) {
      std::printf("%s: ok\n", files[i].c_str());
      continue;
    }
    std::fprintf(stderr, "%s\n", checks[i].error.c_str());
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

int stop(const Args& a) {
  if (a.all == !a.names.empty())
    throw boxrt::Error("stop: name the boxes to stop, or give --all for every running one");
  boxapp::stop_boxes(a.all ? boxapp::running_boxes() : a.names, a.grace);
  return 0;
}

int print_logs(const Args& a) {
  boxapp::LogOptions o;
  o.follow = a.follow;
  if (a.tail >= 0) o.tail = static_cast<size_t>(a.tail);
  boxrt::Runtime rt = boxapp::box_runtime();
  const std::string id = boxapp::box_id(a.name);
  if (!rt.store().exists(id) && !boxrt::path_exists(boxapp::box_log_path(a.name)))
    throw boxrt::Error("no box " + backquoted(a.name));
  auto running = [&] {
    return rt.store().exists(id) && rt.state(id).state.status != oci::Status::stopped;
  };
  boxapp::print_box_log(a.name, o, running, 1);
  return 0;
}

// One name per line, for the completion scripts: quiet when there are none to be had.
int print_names(const std::string& kind) {
  if (kind == "APP")
    for (const auto& p : boxapp::list_profiles())
      std::printf("%s\n", p.name.c_str());
  if (kind == "BOX")
    for (const auto& b : boxapp::list_boxes(true))
      std::printf("%s\n", b.name.c_str());
  return 0;
}

int dispatch(const CLI::App& app, const Commands& c, const Args& a) {
  if (*c.completion)
    return std::printf("%s", boxapp_cli::completion_script(app, a.target).c_str()), 0;
  if (*c.names) return print_names(a.target);
  if (*c.run) return print_run(a, c.run->count("args") > 0);
  if (*c.spec) return print_spec(a);
  if (*c.ps) return print_ps(a.as_json, a.all);
  if (*c.stop) return stop(a);
  if (*c.kill)
    return boxapp::box_runtime().kill(boxapp::box_id(a.name), boxrt::parse_signal(a.signal), false),
           0;
  if (*c.exec) {
    boxapp::ExecRequest e = a.exec;
    e.command = c.exec->remaining();
    e.terminal = e.tty || (!e.detach && ::isatty(0) && ::isatty(1));
    return boxapp::exec_in_box(a.name, e);
  }
  if (*c.logs) return print_logs(a);
  if (*c.inspect) return std::printf("%s\n", boxapp::inspect_box(a.name).dump(2).c_str()), 0;
  if (*c.rm) return boxapp::remove_boxes(a.names, a.force, a.grace), 0;
  if (*c.show) {
    std::printf("%s", boxapp::merged_profile_toml(boxapp::find_profile(a.target)).c_str());
    return 0;
  }
  if (*c.doctor) return print_doctor();
  if (*c.check) return print_check(a.files);
  if (*c.edit) return edit_profile(a.target);
  if (*c.profiles) return print_profiles(a.as_json);
  if (int status = boxapp_cli::run_integration_command(c, a); status >= 0) return status;
  if (int status = boxapp_cli::run_image_command(c, a); status >= 0) return status;
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"boxapp: desktop applications in rootless containers", "boxapp"};
  Args args;
  const Commands commands = boxapp_cli::define_commands(app, args);
  if (argc == 1) {
    std::fprintf(stderr, "%s", boxapp_cli::kUsage);
    return 2;
  }
  if (boxapp_cli::is_foreign_command(argv[1])) {
    std::fprintf(stderr, "boxapp: unknown command `%s` (boxapp --help lists them)\n", argv[1]);
    return 2;
  }
  try {
    app.parse(boxapp_cli::command_line(app, argc, argv));
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" of code 0; a real one is a usage error: 2, as the
    // man page says (CLI11's own codes are 100 and up).
    return app.exit(e) == 0 ? 0 : 2;
  }
  boxrt::set_log_sink(
      [](boxrt::LogLevel level, std::string_view msg) {
        std::fprintf(stderr, "boxapp: %s: %.*s\n", std::string(boxrt::to_string(level)).c_str(),
                     static_cast<int>(msg.size()), msg.data());
      },
      args.debug ? boxrt::LogLevel::debug : boxrt::LogLevel::warning);
  try {
    int status = dispatch(app, commands, args);
    if (status >= 0) return status;
    std::printf("%s", app.help().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "boxapp: %s\n", e.what());
    return 1;
  }
}
