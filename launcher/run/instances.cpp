#include "run/instances.hpp"

#include <unistd.h>

#include "util/error.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

constexpr const char* kHomeAnnotation = "org.boxapp.home";

// Running; a stopped box of that name is cleared away (false).
bool running_or_clear(boxrt::Runtime& rt, const std::string& name) {
  const std::string id = box_id(name);
  if (!rt.store().exists(id)) return false;
  if (rt.state(id).state.status != oci::Status::stopped) return true;
  rt.remove(id, true);
  return false;
}

}  // namespace

BoxChoice choose_box(boxrt::Runtime& rt, const Profile& p, const std::string& explicit_name) {
  if (!explicit_name.empty()) {
    if (running_or_clear(rt, explicit_name))
      throw Error("a box named " + backquoted(explicit_name) + " is already running");
    return {explicit_name, false};
  }
  const std::string base = box_name(p);
  if (!running_or_clear(rt, base)) return {base, false};
  if (p.single_instance) return {base, true};
  for (int i = 2;; ++i) {
    const std::string name = base + "-" + std::to_string(i);
    if (!running_or_clear(rt, name)) return {name, false};
  }
}

int hand_over(boxrt::Runtime& rt, const std::string& name, const Profile& p, const RunRequest& r) {
  boxrt::ExecOptions o;
  o.process = rt.default_exec_process(box_id(name));
  oci::StringList args = {p.command};
  if (r.args) args.insert(args.end(), r.args->begin(), r.args->end());
  o.process.args = args;
  o.process.terminal = r.terminal;
  o.detach = r.detach;
  return rt.exec(box_id(name), o);
}

void refuse_shared_home(boxrt::Runtime& rt, const std::string& name, const oci::Spec& spec) {
  if (!spec.annotations || !spec.annotations->count(kHomeAnnotation)) return;
  const std::string& home = spec.annotations->at(kHomeAnnotation);
  for (const auto& v : rt.list()) {
    if (v.state.status == oci::Status::stopped || !v.state.annotations) continue;
    const auto it = v.state.annotations->find(kHomeAnnotation);
    if (it == v.state.annotations->end() || it->second != home) continue;
    // Two browsers on one profile directory corrupt it.
    throw Error("box " + backquoted(box_name_of_id(v.state.id)) + " uses the home " + home +
                " already: a second box of it needs an instance of its own (boxapp run "
                "--instance NAME " +
                spec.annotations->at("org.boxapp.app") + "), or stop " +
                backquoted(box_name_of_id(v.state.id)) + " first (box " + backquoted(name) +
                " not started)");
  }
}

}  // namespace boxapp
