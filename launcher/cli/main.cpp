// boxapp: run an app in a box. Argument parsing and output only; profiles and compiling
// live in libboxapp, containers in libboxrt, called in-process.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include "compile/compile.hpp"
#include "display/nested_display.hpp"
#include "host/doctor.hpp"
#include "lifecycle/runtime.hpp"
#include "ns/spare_network.hpp"
#include "profile/profile.hpp"
#include "sound/sound_socket.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/proc.hpp"
#include "util/sys.hpp"

namespace {

using boxrt::backquoted;
using boxrt::Error;
using nlohmann::json;

std::string runtime_dir() {
  const char* x = ::getenv("XDG_RUNTIME_DIR");
  return (x && *x ? std::string(x) : "/tmp/boxapp-" + std::to_string(::getuid())) + "/boxapp";
}

boxrt::Runtime runtime() {
  boxrt::RuntimeOptions o;
  o.root = runtime_dir() + "/containers";
  return boxrt::Runtime(o);
}

struct Compiled {
  boxapp::Profile profile;
  boxapp::HostFacts host;
  oci::Spec spec;
};

// box_dir: where the box's own files go (its Xauthority, its sound socket); empty for a
// spec that is only shown. nested: the box's own X server (x11-isolated), ":N".
Compiled compile(boxapp::Profile profile, boxapp::HostFacts host, const std::string& rootfs,
                 const std::string& box_dir, std::optional<std::vector<std::string>> args,
                 bool terminal, const std::string& nested = "") {
  Compiled c{std::move(profile), std::move(host), {}};
  boxapp::CompileOptions o;
  o.rootfs = rootfs;
  o.box_dir = box_dir;
  o.nested_display = nested;
  o.args = std::move(args);
  o.terminal = terminal;
  c.spec = boxapp::compile_profile(c.profile, c.host, o);
  if (box_dir.empty()) return c;
  boxapp::prepare_host_rootfs(rootfs, c.host);
  boxapp::prepare_app_data(c.profile, c.host);
  boxrt::make_dirs(box_dir, 0700);
  // The user's Downloads folder, as xdg-user-dirs makes it, when the app may share it.
  if (c.profile.downloads) boxrt::make_dirs(c.host.downloads, 0755);
  // The nested server's keeper writes its own cookie there.
  if (c.host.x_cookie && c.profile.display != boxapp::Display::none &&
      c.profile.display != boxapp::Display::x11_isolated)
    boxapp::write_xauthority(box_dir + "/Xauthority", *c.host.x_cookie);
  return c;
}

boxapp::Profile load(const std::string& app) {
  return boxapp::load_profile(boxapp::find_profile(app));
}

bool wants_sound(const boxapp::Profile& p) {
  return p.audio != boxapp::Audio::none;
}

// The app's name, or name-2, name-3, ... when that one is running; a stopped leftover of
// the same name is cleared away.
std::string free_name(boxrt::Runtime& rt, const std::string& base, bool explicit_name) {
  for (int i = 1;; ++i) {
    std::string name = i == 1 ? base : base + "-" + std::to_string(i);
    if (!rt.store().exists(name)) return name;
    if (rt.state(name).state.status == oci::Status::stopped) {
      rt.remove(name, true);
      return name;
    }
    if (explicit_name) throw Error("a box named " + backquoted(name) + " is already running");
  }
}

// run -d --rm: a small process of its own waits for the box's app to end and removes the
// box, as the foreground run does when it returns.
void remove_when_done(boxrt::Runtime& rt, const std::string& name) {
  const auto view = rt.state(name);
  if (!view.state.pid) return;
  boxrt::unique_fd pidfd = boxrt::open_pidfd(*view.state.pid);
  pid_t child = ::fork();
  if (child != 0) return;
  ::setsid();
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd)
    ::dup2(null, fd);
  struct pollfd p = {pidfd.get(), POLLIN, 0};
  while (pidfd && ::poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
  try {
    runtime().remove(name, true);
  } catch (const std::exception&) {
    // removed meanwhile
  }
  ::_exit(0);
}

int cmd_run(const std::string& app, std::string name, bool detach, bool rm,
            const std::vector<std::string>& args, bool have_args) {
  const bool terminal = !detach && ::isatty(0) && ::isatty(1);
  const std::string dir = runtime_dir();
  boxrt::make_dirs(dir + "/bundles", 0700);
  boxapp::Profile profile = load(app);
  boxrt::Runtime rt = runtime();
  name = free_name(rt, name.empty() ? profile.name : name, !name.empty());
  const std::string bundle = dir + "/bundles/" + name;
  boxrt::make_dirs(bundle, 0700);
  // The box's sound socket is asked for first: the sound server makes it while the box is
  // compiled and set up. The app starts once it's there.
  std::optional<boxapp::SoundSocket> sound;
  if (wants_sound(profile)) sound = boxapp::SoundSocket::start(bundle, dir);
  // And the network namespace the session keeps ready (ns/spare_network.hpp).
  boxrt::NetworkAhead network;
  if (profile.network == boxapp::NetworkMode::none) network = boxrt::NetworkAhead::ask();
  boxapp::HostFacts host = boxapp::gather_host_facts();
  std::optional<boxapp::NestedDisplay> nested;
  if (profile.display == boxapp::Display::x11_isolated)
    nested = boxapp::NestedDisplay::start(bundle, host);
  Compiled c = compile(std::move(profile), std::move(host), dir + "/host-root", bundle,
                       have_args ? std::optional(args) : std::nullopt, terminal,
                       nested ? nested->display() : "");
  boxrt::CreateOptions o;
  o.bundle = bundle;
  o.spec = &c.spec;
  o.network_ahead = &network;
  // While the runtime sets the box up.
  o.before_start = [&](pid_t pid) {
    boxrt::write_file_atomic(bundle + "/config.json", oci::dump_spec(c.spec), 0600,
                             boxrt::Durability::volatile_ok);
    if (sound) sound->ready(c.host, pid);
    if (nested) nested->watch(pid);
  };
  int status = rt.run(name, o, detach, /*keep=*/false);
  if (detach) {
    std::printf("%s\n", name.c_str());
    std::fflush(stdout);
    if (rm) remove_when_done(rt, name);
  }
  return status;
}

int cmd_spec(const std::string& app, const std::string& bundle) {
  if (bundle.empty()) {
    Compiled c = compile(load(app), boxapp::gather_host_facts(), runtime_dir() + "/host-root", "",
                         std::nullopt, false);
    std::printf("%s", oci::dump_spec(c.spec).c_str());
    return 0;
  }
  boxrt::make_dirs(bundle, 0755);
  const std::string abs = boxrt::absolute_path(bundle);
  // Whatever runs this bundle can't unload a sound socket when it ends: the session's is
  // shared.
  Compiled c =
      compile(load(app), boxapp::gather_host_facts(), abs + "/rootfs", abs, std::nullopt, false);
  if (wants_sound(c.profile)) boxapp::share_session_sound(abs, c.host);
  c.spec.root->path = "rootfs";
  boxrt::write_file_atomic(abs + "/config.json", oci::dump_spec(c.spec), 0644);
  std::printf("%s\n", abs.c_str());
  return 0;
}

// One line per finding; exit status 1 when any is a problem.
int cmd_doctor() {
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

int cmd_ps(bool as_json) {
  boxrt::Runtime rt = runtime();
  json out = json::array();
  for (const auto& v : rt.list()) {
    std::string app;
    if (v.state.annotations && v.state.annotations->count("org.boxapp.app"))
      app = v.state.annotations->at("org.boxapp.app");
    out.push_back({{"name", v.state.id},
                   {"app", app},
                   {"pid", v.state.pid.value_or(0)},
                   {"status", std::string(oci::to_string(v.state.status))},
                   {"created", v.state.extra.value("created", "")}});
  }
  if (as_json) {
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("%-20s %-16s %-8s %-8s %s\n", "NAME", "APP", "PID", "STATUS", "CREATED");
  for (const auto& b : out)
    std::printf("%-20s %-16s %-8d %-8s %s\n", b["name"].get<std::string>().c_str(),
                b["app"].get<std::string>().c_str(), b["pid"].get<int>(),
                b["status"].get<std::string>().c_str(), b["created"].get<std::string>().c_str());
  return 0;
}

int cmd_stop(const std::string& name, int grace_s) {
  boxrt::Runtime rt = runtime();
  auto running = [&] { return rt.state(name).state.status != oci::Status::stopped; };
  if (!running()) return 0;
  rt.kill(name, SIGTERM, false);
  for (int i = 0; i < grace_s * 20 && running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (running()) rt.kill(name, SIGKILL, true);
  for (int i = 0; i < 100 && running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return 0;
}

int cmd_exec(const std::string& name, const std::vector<std::string>& command) {
  if (command.empty()) throw Error("exec: give a command to run in " + backquoted(name));
  boxrt::Runtime rt = runtime();
  boxrt::ExecOptions o;
  o.process = rt.default_exec_process(name);
  o.process.args = command;
  o.process.terminal = ::isatty(0) && ::isatty(1);
  return rt.exec(name, o);
}

int cmd_profiles_list() {
  std::set<std::string> seen;
  std::printf("%-16s %-48s %s\n", "NAME", "DESCRIPTION", "FROM");
  for (const auto& dir : boxapp::profile_search_path()) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) continue;
    std::vector<std::string> names;
    while (auto* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 5 && n.ends_with(".toml")) names.push_back(n.substr(0, n.size() - 5));
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      if (!seen.insert(n).second) continue;  // an earlier directory's profile wins
      std::string desc;
      try {
        desc = boxapp::load_profile(dir + "/" + n + ".toml").description;
      } catch (const Error& e) {
        desc = std::string("(broken: ") + e.what() + ")";
      }
      std::printf("%-16s %-48s %s\n", n.c_str(), desc.substr(0, 48).c_str(), dir.c_str());
    }
  }
  return 0;
}

// Parses, compiles and validates each file against a host that has everything (display,
// sound, devices), so that only the profile itself can fail.
int cmd_profiles_check(const std::vector<std::string>& files) {
  boxapp::HostFacts host = boxapp::gather_host_facts();
  host.display = ":0";
  host.wayland_display = host.xdg_runtime_dir + "/wayland-0";
  host.pulse_socket = host.xdg_runtime_dir + "/pulse/native";
  int failed = 0;
  for (const auto& f : files) {
    try {
      boxapp::Profile p = boxapp::load_profile(f);
      boxapp::CompileOptions o;
      o.rootfs = "/nonexistent";
      o.nested_display = ":99";
      for (auto& m : p.mounts)
        m.optional = true;  // a check doesn't depend on this host's folders
      oci::Spec spec = boxapp::compile_profile(p, host, o);
      oci::parse_spec(oci::dump_spec(spec), f + " (compiled)");
      std::printf("%s: ok\n", f.c_str());
    } catch (const Error& e) {
      std::fprintf(stderr, "%s\n", e.what());
      ++failed;
    }
  }
  return failed ? 1 : 0;
}

int cmd_profiles_edit(const std::string& app) {
  const char* cfg = ::getenv("XDG_CONFIG_HOME");
  const char* home = ::getenv("HOME");
  const std::string dir =
      (cfg && *cfg ? std::string(cfg) : std::string(home ? home : "/") + "/.config") +
      "/boxapp/profiles";
  const std::string mine = dir + "/" + app + ".toml";
  if (::access(mine.c_str(), F_OK) != 0) {
    std::string shipped = boxapp::find_profile(app);
    boxrt::make_dirs(dir, 0755);
    boxrt::write_file_atomic(mine, boxrt::read_file(shipped), 0644);
  }
  const char* editor = ::getenv("EDITOR");
  std::string ed = editor && *editor ? editor : "vi";
  ::execlp(ed.c_str(), ed.c_str(), mine.c_str(), static_cast<char*>(nullptr));
  boxrt::throw_errno("run the editor " + backquoted(ed));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"boxapp: desktop applications in rootless containers", "boxapp"};
  app.set_version_flag("-v,--version", "boxapp version " BOXAPP_VERSION);
  app.require_subcommand(0, 1);
  bool debug = false;
  app.add_flag("--debug", debug, "debug logging");

  std::string name, target, bundle, signal = "TERM";
  std::vector<std::string> args;
  bool detach = false, rm = false, as_json = false, force = false;
  int grace = 10;
  std::vector<std::string> files;

  auto* run = app.add_subcommand("run", "run an app in a box");
  run->add_option("--name", name, "name of the box (default: the app's)");
  run->add_flag("-d,--detach", detach, "return once it runs");
  run->add_flag("--rm", rm, "remove the box when its app ends (always so in the foreground)");
  run->add_option("app", target, "profile name or file")->required();
  run->add_option("args", args, "arguments for the app, after --");
  auto* spec = app.add_subcommand("spec", "print the compiled config.json");
  spec->add_option("app", target)->required();
  spec->add_option("--bundle", bundle, "write a complete bundle here instead");
  auto* ps = app.add_subcommand("ps", "list boxes");
  ps->add_flag("--json", as_json);
  auto* stop = app.add_subcommand("stop", "SIGTERM, then SIGKILL after a grace period");
  stop->add_option("name", name)->required();
  stop->add_option("-t,--time", grace, "seconds of grace (default 10)");
  auto* kill = app.add_subcommand("kill", "send a signal to the app");
  kill->add_option("name", name)->required();
  kill->add_option("signal", signal);
  auto* exec = app.add_subcommand("exec", "run a command in a running box");
  exec->add_option("name", name)->required();
  exec->prefix_command();  // everything after NAME is the command, its options included
  auto* rmc = app.add_subcommand("rm", "remove a box");
  rmc->add_option("name", name)->required();
  rmc->add_flag("-f,--force", force, "kill it first if it runs");
  auto* doctor = app.add_subcommand("doctor", "what this host gives boxes, and fixes");
  auto* profiles = app.add_subcommand("profiles", "list, show, check and edit profiles");
  profiles->require_subcommand(0, 1);
  auto* show = profiles->add_subcommand("show", "the merged profile");
  show->add_option("app", target)->required();
  auto* check = profiles->add_subcommand("check", "parse, compile and validate profiles");
  check->add_option("files", files)->required();
  auto* edit = profiles->add_subcommand("edit", "copy a profile to your config and edit it");
  edit->add_option("app", target)->required();

  // `boxapp APP [-- ARGS]`: run for short.
  std::vector<std::string> argv_list(argv + 1, argv + argc);
  const std::set<std::string> commands = {"run", "spec",     "ps",     "stop",   "kill", "exec",
                                          "rm",  "profiles", "doctor", "--help", "-h",   "--debug"};
  if (!argv_list.empty() && !commands.count(argv_list[0]) && argv_list[0][0] != '-')
    argv_list.insert(argv_list.begin(), "run");
  std::vector<std::string> reversed(argv_list.rbegin(), argv_list.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  boxrt::set_log_sink(
      [](boxrt::LogLevel level, std::string_view msg) {
        std::fprintf(stderr, "boxapp: %s: %.*s\n", std::string(boxrt::to_string(level)).c_str(),
                     static_cast<int>(msg.size()), msg.data());
      },
      debug ? boxrt::LogLevel::debug : boxrt::LogLevel::warning);
  try {
    if (*run) return cmd_run(target, name, detach, rm, args, run->count("args") > 0);
    if (*spec) return cmd_spec(target, bundle);
    if (*ps) return cmd_ps(as_json);
    if (*stop) return cmd_stop(name, grace);
    if (*kill) {
      runtime().kill(name, boxrt::parse_signal(signal), false);
      return 0;
    }
    if (*exec) return cmd_exec(name, exec->remaining());
    if (*rmc) {
      runtime().remove(name, force);
      return 0;
    }
    if (*show) {
      std::printf("%s", boxapp::merged_profile_toml(boxapp::find_profile(target)).c_str());
      return 0;
    }
    if (*doctor) return cmd_doctor();
    if (*check) return cmd_profiles_check(files);
    if (*edit) return cmd_profiles_edit(target);
    if (*profiles) return cmd_profiles_list();
    std::printf("%s", app.help().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "boxapp: %s\n", e.what());
    return 1;
  }
}
