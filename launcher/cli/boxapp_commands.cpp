#include "cli/boxapp_commands.hpp"

#include <algorithm>
#include <set>

#include "profile/profile.hpp"
#include "util/error.hpp"

namespace boxapp_cli {

const char* const kUsage =
    "usage: boxapp APP [-- ARGS]       run an app in a box (boxapp shell: a shell in one)\n"
    "       boxapp COMMAND [OPTIONS]   run, ps, stop, exec, rm, spec, profiles, doctor...\n"
    "       boxapp --help              every command, with its options\n";

Commands define_commands(CLI::App& app, Args& a) {
  app.set_version_flag("-v,--version", "boxapp version " BOXAPP_VERSION);
  app.require_subcommand(0, 1);
  app.footer(
      "boxapp APP [-- ARGS] is `boxapp run APP` for short: `boxapp chrome`, or `boxapp shell`\n"
      "for a shell in a box. `boxapp profiles` lists the apps.\n");
  app.add_flag("--debug", a.debug, "debug logging");
  Commands c;
  c.run = app.add_subcommand("run", "run an app in a box");
  c.run->add_option("--name", a.name, "name of the box (default: the app's)");
  c.run->add_option("--instance", a.instance,
                    "a box of its own, with its own home: APP@INSTANCE (boxapp APP@INSTANCE)");
  c.run->add_flag("-d,--detach", a.detach, "return once it runs");
  c.run->add_flag("--rm", a.rm, "remove the box when its app ends (always so in the foreground)");
  c.run->add_option("-p,--publish", a.ports,
                    "[IP:]HOST_PORT:BOX_PORT[/udp]: a port of the box on the host (bridge; "
                    "repeatable)");
  c.run->add_flag("-P,--publish-all", a.publish_all,
                  "the ports the box's image exposes, each on a free host port (bridge)");
  c.run->add_option("app", a.target, "profile name or file")->required()->type_name("APP");
  c.run->add_option("args", a.args, "arguments for the app, after --");
  c.spec = app.add_subcommand("spec", "print the compiled config.json");
  c.spec->add_option("app", a.target)->required()->type_name("APP");
  c.spec->add_option("--bundle", a.bundle, "write a complete bundle here instead");
  c.ps = app.add_subcommand("ps", "list running boxes");
  c.ps->add_flag("-a,--all", a.all, "stopped ones too");
  c.ps->add_flag("--json", a.as_json);
  c.stop = app.add_subcommand(
      "stop", "SIGTERM, then SIGKILL after a grace period; returns once every process is gone");
  c.stop->add_option("names", a.names, "the boxes")->type_name("BOX");
  c.stop->add_flag("-a,--all", a.all, "every running box");
  c.stop->add_option("-t,--time", a.grace, "seconds of grace (default 10)");
  c.kill = app.add_subcommand("kill", "send a signal to the app");
  c.kill->add_option("name", a.name)->required()->type_name("BOX");
  c.kill->add_option("signal", a.signal);
  c.exec = app.add_subcommand(
      "exec", "run a command in a running box: boxapp exec [OPTIONS] NAME COMMAND [ARGS...]");
  c.exec->add_flag("-t,--tty", a.exec.tty, "give it a terminal (default: when ours is one)");
  c.exec->add_flag("-d,--detach", a.exec.detach, "return once it runs");
  c.exec->add_option("-e,--env", a.exec.env, "K=V added to its environment (repeatable)")
      ->allow_extra_args(false);
  c.exec->add_option("-w,--workdir", a.exec.workdir, "its working directory (default: the box's)");
  c.exec->add_option("-u,--user", a.exec.user, "UID[:GID] (default: the box's user)");
  c.exec->add_option("name", a.name)->required()->type_name("BOX");
  c.exec->prefix_command();  // everything after NAME is the command, its options included
  c.rm = app.add_subcommand("rm", "remove stopped boxes");
  c.rm->add_option("names", a.names, "the boxes")->required()->type_name("BOX");
  c.rm->add_flag("-f,--force", a.force, "stop running ones first, as `stop` does");
  c.rm->add_option("-t,--time", a.grace, "seconds of grace for -f (default 10)");
  c.logs = app.add_subcommand("logs", "what a box run with -d has printed");
  c.logs->add_option("name", a.name)->required()->type_name("BOX");
  c.logs->add_flag("-f,--follow", a.follow, "keep printing until the box stops");
  c.logs->add_option("-n,--tail", a.tail, "only the last N lines");
  c.inspect = app.add_subcommand("inspect", "a box's record, spec, mounts and grants, as JSON");
  c.inspect->add_option("name", a.name)->required()->type_name("BOX");
  c.doctor = app.add_subcommand("doctor", "what this host gives boxes, and fixes");
  c.profiles = app.add_subcommand("profiles", "list, show, check and edit profiles");
  c.profiles->require_subcommand(0, 1);
  c.profiles->add_flag("--json", a.as_json);
  c.show = c.profiles->add_subcommand("show", "the merged profile");
  c.show->add_option("app", a.target)->required()->type_name("APP");
  c.check = c.profiles->add_subcommand("check", "parse, compile and validate profiles");
  c.check->add_option("files", a.files)->required()->type_name("FILE");
  c.edit = c.profiles->add_subcommand("edit", "copy a profile to your config and edit it");
  c.edit->add_option("app", a.target)->required()->type_name("APP");
  c.desktop = app.add_subcommand("desktop", "entries for boxes in the desktop's menu");
  c.desktop->require_subcommand(1);
  c.desktop_install = c.desktop->add_subcommand(
      "install", "a menu entry that starts the app in its box (APP or APP@INSTANCE)");
  c.desktop_install->add_option("names", a.names, "the apps")->type_name("APP");
  c.desktop_install->add_flag("--all", a.all, "every app of yours the host has, with a window");
  c.desktop_install->add_flag("--replace", a.replace,
                              "in place of the host app's own entry, which it hides");
  c.desktop_uninstall = c.desktop->add_subcommand("uninstall", "remove boxes' menu entries");
  c.desktop_uninstall->add_option("names", a.names, "the apps")->required()->type_name("APP");
  c.desktop_ls = c.desktop->add_subcommand("ls", "the menu entries boxapp wrote");
  c.desktop_ls->add_flag("--json", a.as_json);
  c.systemd = app.add_subcommand("systemd", "boxes as systemd user services (boxapp@APP)");
  c.systemd->require_subcommand(1);
  c.systemd_install =
      c.systemd->add_subcommand("install", "start boxapp@APP.service at login (enable it)");
  c.systemd_install->add_option("name", a.name, "APP or APP@INSTANCE")
      ->required()
      ->type_name("APP");
  c.systemd_install->add_flag("--now", a.now, "and start it now");
  c.systemd_uninstall = c.systemd->add_subcommand("uninstall", "disable boxapp@APP.service");
  c.systemd_uninstall->add_option("name", a.name, "APP or APP@INSTANCE")
      ->required()
      ->type_name("APP");
  c.systemd_uninstall->add_flag("--now", a.now, "and stop it now");
  c.stats = app.add_subcommand("stats", "live CPU, memory, pids, network and I/O of boxes");
  c.stats->add_option("names", a.names, "the boxes (default: every running one)")->type_name("BOX");
  c.stats->add_flag("--no-stream", a.no_stream, "one sample, then return");
  c.stats->add_flag("--json", a.as_json, "JSON lines: one array per sample");
  c.stats->add_option("--interval", a.interval, "seconds between samples (default 1)")
      ->check(CLI::Range(0.1, 3600.0));
  c.completion = app.add_subcommand("completion", "a completion script: boxapp completion bash");
  c.completion->add_option("shell", a.target, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  define_image_commands(app, a, c);
  // For the completion scripts: the names a word may be, one per line. Not in --help.
  c.names = app.add_subcommand(kNamesCommand, "")->group("");
  c.names->add_option("kind", a.target)->required()->check(CLI::IsMember({"APP", "BOX"}));
  return c;
}

bool is_foreign_command(const std::string& word) {
  static const std::set<std::string> words = {"attach", "create", "help",    "images", "info",
                                              "list",   "ls",     "pause",   "pull",   "restart",
                                              "start",  "top",    "unpause", "version"};
  if (!words.count(word)) return false;
  try {
    boxapp::find_profile(word);
    return false;
  } catch (const boxrt::Error&) {
    return true;
  }
}

std::vector<std::string> command_line(CLI::App& app, int argc, char** argv) {
  std::vector<std::string> list(argv + 1, argv + argc);
  const auto subs = app.get_subcommands([](CLI::App*) { return true; });
  const bool is_command = !list.empty() && std::any_of(subs.begin(), subs.end(), [&](CLI::App* s) {
    return s->check_name(list[0]);
  });
  if (!list.empty() && list[0][0] != '-' && !is_command) list.insert(list.begin(), "run");
  return {list.rbegin(), list.rend()};
}

}  // namespace boxapp_cli
