// The boxapp-runtime command line: what each command takes (commands.cpp), and the values
// it was given turned into the library's types (values.cpp).
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "lifecycle/runtime.hpp"

namespace boxrt_cli {

struct Args {
  std::string id, signal = "SIGTERM", format = "table", spec_bundle = ".";
  boxrt::CreateOptions create;
  // exec
  std::string process_file, cwd, user, apparmor, process_label, cgroup;
  std::vector<std::string> env, caps;
  std::vector<uint32_t> additional_gids;
  bool tty = false, no_new_privs = false;
  bool detach = false, keep = false, all = false, force = false, quiet = false,
       spec_rootless = false;
  // events
  std::string interval = "5s";
  bool stats = false;
  // update: a resources file, and runc's single-value flags
  std::string resources_file;
  std::map<std::string, std::string> limits;
};

struct Command {
  const char* name;
  const char* help;
  void (*setup)(CLI::App*, Args&);
};

std::span<const Command> commands();

// The subcommand named on the command line, if any: only its options get registered, since
// building every subcommand's options costs a measurable part of a container start.
std::string requested_command(int argc, char** argv);

// exec's process: --process FILE, or the container's own with CMD and the flags applied.
oci::Process exec_process(const boxrt::Runtime& rt, const Args& a,
                          const std::vector<std::string>& command);
// exec --cgroup: [CONTROLLERS:]PATH, the sub-cgroup of the container's to join.
std::string exec_sub_cgroup(const std::string& value);
// "5s", "500ms", "2m", or plain seconds.
int parse_interval_ms(const std::string& s);
// update's --resources document and single-value flags, the flags winning field by field.
oci::Resources update_resources(const Args& a);

}  // namespace boxrt_cli
