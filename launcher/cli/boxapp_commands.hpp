// boxapp's command line: what it says (Args), its subcommands, and how `boxapp APP` is read.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "run/boxes.hpp"

namespace boxapp_cli {

struct Args {
  bool debug = false;
  std::string name, instance, target, bundle, signal = "TERM";
  std::vector<std::string> args, files, names, ports;
  bool detach = false, rm = false, as_json = false, force = false, all = false, follow = false;
  bool replace = false, now = false, no_stream = false, quiet = false, publish_all = false;
  std::string output;     // import: where the profile goes
  double interval = 1.0;  // stats --interval, seconds
  int grace = 10;
  int tail = -1;  // logs --tail N; -1: all
  boxapp::ExecRequest exec;
};

// The subcommands, to dispatch on once parsed.
struct Commands {
  CLI::App *run, *spec, *ps, *stop, *kill, *exec, *rm, *logs, *inspect, *doctor, *profiles, *show,
      *check, *edit;
  CLI::App *desktop, *desktop_install, *desktop_uninstall, *desktop_ls;
  CLI::App *systemd, *systemd_install, *systemd_uninstall;
  CLI::App *stats, *completion, *names;
  CLI::App *image, *image_pull, *image_build, *image_ls, *image_inspect, *image_rm, *image_prune;
  CLI::App *import, *import_inspect;
};

// The hidden command the completion scripts ask for names with: `boxapp __names APP|BOX`.
inline constexpr const char* kNamesCommand = "__names";

// `boxapp completion SHELL`: the script for bash, zsh or fish, from the command table itself:
// its commands, their options, and what their arguments are (type names APP: profiles, BOX:
// boxes, FILE: files; asked of `boxapp __names` as the user types).
std::string completion_script(const CLI::App& app, const std::string& shell);

// desktop, systemd and stats (cli/integration.cpp): their exit status, -1 when `c` is none of
// them.
int run_integration_command(const Commands& c, const Args& a);
// image pull|ls|inspect|rm|prune (cli/image_commands.cpp), the same way.
int run_image_command(const Commands& c, const Args& a);
void define_image_commands(CLI::App& app, Args& a, Commands& c);

Commands define_commands(CLI::App& app, Args& a);

// `boxapp APP [-- ARGS]` is `boxapp run APP` for short; reversed, as CLI11 takes it.
std::vector<std::string> command_line(CLI::App& app, int argc, char** argv);

// A word other container tools have as a command (list, logs, stats...) that is no command
// of ours: said so, rather than "no profile", unless a profile has that name.
bool is_foreign_command(const std::string& word);

// What `boxapp` alone prints, on stderr, before it exits 2.
extern const char* const kUsage;

}  // namespace boxapp_cli
