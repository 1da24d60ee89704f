// [app] and [env]: the process, its identity (the user's own ids inside: the app's files
// and sockets belong to the same user on both sides) and its environment.
#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "compile/compile.hpp"
#include "host/identity.hpp"
#include "util/error.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

}  // namespace

const char* const kBoxPath = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";

std::string find_command(const Profile& p, const HostFacts& h) {
  // The host image is the host's own directories at the same paths.
  if (p.command.find('/') != std::string::npos) return h.path_exists(p.command) ? p.command : "";
  std::string_view dirs = kBoxPath;
  while (!dirs.empty()) {
    const size_t colon = std::min(dirs.find(':'), dirs.size());
    const std::string candidate = std::string(dirs.substr(0, colon)) + "/" + p.command;
    if (h.path_exists(candidate)) return candidate;
    dirs.remove_prefix(std::min(colon + 1, dirs.size()));
  }
  return "";
}

std::string command_missing(const Profile& p) {
  const bool path = p.command.find('/') != std::string::npos;
  return p.file + ": app.command: " + backquoted(p.command) + " is not in the host image (" +
         (path ? std::string("no such file") : std::string("not on the box's PATH ") + kBoxPath) +
         "): is it installed?";
}

void compile_process(const Profile& p, const HostFacts& h, const CompileOptions& o, oci::Spec& s) {
  oci::Process proc;
  proc.terminal = o.terminal;
  proc.user = oci::User{};
  proc.user->uid = p.run_uid.value_or(h.uid);
  proc.user->gid = p.run_gid.value_or(p.run_uid ? *p.run_uid : h.gid);
  oci::StringList args = {p.command};
  if (o.args) args.insert(args.end(), p.exec_args.begin(), p.exec_args.end());
  const auto& extra = o.args ? *o.args : p.args;
  args.insert(args.end(), extra.begin(), extra.end());
  proc.args = args;
  oci::StringList env = {std::string("PATH=") + kBoxPath, "HOME=" + h.home, "USER=" + h.user,
                         "XDG_RUNTIME_DIR=" + h.xdg_runtime_dir, "LANG=C.UTF-8"};
  if (const char* term = ::getenv("TERM"); term && o.terminal)
    env.push_back(std::string("TERM=") + term);
  for (const auto& [k, v] : p.env) {
    const std::string value = expand(v, p, h, "env." + k);
    // An abstract socket is reachable from any box on the host network, and the session
    // bus there starts programs outside any box (through systemd --user).
    if (k == "DBUS_SESSION_BUS_ADDRESS" && value.find("abstract=") != std::string::npos)
      throw Error(p.file + ": env.DBUS_SESSION_BUS_ADDRESS: an abstract socket (" + value +
                  ") is never given to a box: it is the host's whole session bus");
    env.push_back(k + "=" + value);
  }
  // The image's Env under the profile's: a name set twice is the later one's, which the
  // box's C library would not take (getenv returns the first).
  for (const auto& kv : p.image_env) {
    const std::string key = kv.substr(0, kv.find('=') + 1);
    if (p.env.count(key.substr(0, key.size() - 1))) continue;
    auto same = [&](const std::string& e) { return e.rfind(key, 0) == 0; };
    env.erase(std::remove_if(env.begin(), env.end(), same), env.end());
    env.push_back(kv);
  }
  proc.env = env;
  proc.cwd = p.workdir.empty() ? h.home : expand(p.workdir, p, h, "app.workdir");
  if (proc.cwd.empty() || proc.cwd[0] != '/')
    throw Error(p.file + ": app.workdir: expected an absolute path, not " + backquoted(proc.cwd));
  s.process = proc;
  // A hostname has no `@`: chrome-work for chrome@work.
  s.hostname =
      o.hostname.empty() ? (p.instance.empty() ? p.name : p.name + "-" + p.instance) : o.hostname;
  // Host ids inside: the app's files and sockets belong to the same user on both sides. An
  // image's files belong to root and others too: those come from the user's range.
  if (p.image != "host") {
    s.linux->uid_mappings = keep_id_mappings(h.uid_layout);
    s.linux->gid_mappings = keep_id_mappings(h.gid_layout);
    return;
  }
  oci::IdMapping uid_map{h.uid, h.uid, 1, {}}, gid_map{h.gid, h.gid, 1, {}};
  s.linux->uid_mappings = std::vector<oci::IdMapping>{uid_map};
  s.linux->gid_mappings = std::vector<oci::IdMapping>{gid_map};
}

}  // namespace boxapp
