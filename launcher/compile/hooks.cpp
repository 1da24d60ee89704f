// [hooks]: the profile's OCI hooks, by runtime-spec kind.
#include "compile/compile.hpp"

namespace boxapp {

void compile_hooks(const Profile& p, oci::Spec& s) {
  if (p.hooks.empty()) return;
  oci::Hooks hooks;
  for (const auto& [kind, list] : p.hooks) {
    std::vector<oci::Hook> out;
    for (const auto& e : list) {
      oci::Hook h;
      h.path = e.path;
      oci::StringList args = {e.path};
      args.insert(args.end(), e.args.begin(), e.args.end());
      h.args = args;
      if (e.timeout) h.timeout = e.timeout;
      out.push_back(h);
    }
    if (kind == "prestart") hooks.prestart = out;
    if (kind == "createRuntime") hooks.create_runtime = out;
    if (kind == "createContainer") hooks.create_container = out;
    if (kind == "startContainer") hooks.start_container = out;
    if (kind == "poststart") hooks.poststart = out;
    if (kind == "poststop") hooks.poststop = out;
  }
  s.hooks = hooks;
}

}  // namespace boxapp
