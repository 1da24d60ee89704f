// [app] and [env]: the process, its identity (the user's own ids inside: the app's files
// and sockets belong to the same user on both sides) and its environment.
#include <cstdlib>

#include "compile/compile.hpp"
#include "util/error.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

}  // namespace

void compile_process(const Profile& p, const HostFacts& h, const CompileOptions& o, oci::Spec& s) {
  oci::Process proc;
  proc.terminal = o.terminal;
  proc.user = oci::User{};
  proc.user->uid = h.uid;
  proc.user->gid = h.gid;
  oci::StringList args = {p.command};
  const auto& extra = o.args ? *o.args : p.args;
  args.insert(args.end(), extra.begin(), extra.end());
  proc.args = args;
  oci::StringList env = {"PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
                         "HOME=" + h.home, "USER=" + h.user, "XDG_RUNTIME_DIR=" + h.xdg_runtime_dir,
                         "LANG=C.UTF-8"};
  if (const char* term = ::getenv("TERM"); term && o.terminal)
    env.push_back(std::string("TERM=") + term);
  for (const auto& [k, v] : p.env)
    env.push_back(k + "=" + expand(v, p, h, "env." + k));
  proc.env = env;
  proc.cwd = p.workdir.empty() ? h.home : expand(p.workdir, p, h, "app.workdir");
  if (proc.cwd.empty() || proc.cwd[0] != '/')
    throw Error(p.file + ": app.workdir: expected an absolute path, not " + backquoted(proc.cwd));
  s.process = proc;
  s.hostname = o.hostname.empty() ? p.name : o.hostname;
  // Host ids inside: the app's files and sockets belong to the same user on both sides.
  oci::IdMapping uid_map{h.uid, h.uid, 1, {}}, gid_map{h.gid, h.gid, 1, {}};
  s.linux->uid_mappings = std::vector<oci::IdMapping>{uid_map};
  s.linux->gid_mappings = std::vector<oci::IdMapping>{gid_map};
}

}  // namespace boxapp
