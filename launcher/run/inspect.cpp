#include "run/inspect.hpp"

#include <algorithm>

#include "compile/compile.hpp"
#include "host/box_paths.hpp"
#include "profile/profile.hpp"
#include "run/box_runtime.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"
#include "util/user_dirs.hpp"

namespace boxapp {
namespace {

using nlohmann::json;

std::string env_value(const oci::Spec& s, const std::string& key) {
  if (!s.process || !s.process->env) return "";
  for (const auto& e : *s.process->env)
    if (e.rfind(key + "=", 0) == 0) return e.substr(key.size() + 1);
  return "";
}

bool has_namespace(const oci::Spec& s, const std::string& type) {
  const auto& nss =
      s.linux && s.linux->namespaces ? *s.linux->namespaces : std::vector<oci::Namespace>{};
  return std::any_of(nss.begin(), nss.end(), [&](const auto& n) { return n.type == type; });
}

// What the box may reach beyond its own files: the display, sound, devices, the network,
// and the host folders bound into it.
json grants_of(const oci::Spec& s, const std::string& home) {
  json g;
  const std::string display = env_value(s, "WAYLAND_DISPLAY").empty()
                                  ? env_value(s, "DISPLAY")
                                  : "wayland:" + env_value(s, "WAYLAND_DISPLAY");
  g["display"] = display.empty() ? json(nullptr) : json(display);
  g["sound"] = !env_value(s, "PULSE_SERVER").empty();
  g["network"] = has_namespace(s, "network") ? "none" : "host";
  json devices = json::array();
  if (s.linux && s.linux->devices)
    for (const auto& d : *s.linux->devices)
      devices.push_back(d.path);
  g["devices"] = devices;
  json folders = json::array();
  for (const auto& m : s.mounts ? *s.mounts : std::vector<oci::Mount>{}) {
    const bool bind = m.type.value_or("") == "bind" ||
                      (m.options && std::count(m.options->begin(), m.options->end(), "rbind"));
    if (!bind || !m.source || m.source->rfind(home + "/", 0) != 0) continue;
    const bool ro = m.options && std::count(m.options->begin(), m.options->end(), "ro");
    folders.push_back({{"host", *m.source}, {"box", m.destination}, {"read_only", ro}});
  }
  g["folders"] = folders;
  return g;
}

}  // namespace

json inspect_box(const std::string& name) {
  const std::string runtime_dir = boxrt::user_runtime_dir();
  boxrt::Runtime rt = box_runtime(runtime_dir);
  const std::string id = box_id(name);
  if (!rt.store().exists(id)) throw boxrt::Error("no box " + boxrt::backquoted(name));
  const auto v = rt.state(id);
  const auto& a = v.state.annotations ? *v.state.annotations : std::map<std::string, std::string>{};
  auto annotation = [&](const char* key) { return a.count(key) ? a.at(key) : std::string(); };
  const std::string spec_path = bundle_dir(runtime_dir, name) + "/config.json";
  json out = {{"name", name},
              {"app", annotation(kAppAnnotation)},
              {"status", std::string(oci::to_string(v.state.status))},
              {"pid", v.state.pid.value_or(0)},
              {"created", v.state.extra.value("created", "")},
              {"profile", annotation(kProfileAnnotation)},
              {"spec", spec_path},
              {"home", a.count(kHomeAnnotation) ? json(a.at(kHomeAnnotation)) : json("tmpfs")},
              // An address of its own comes with bridge networking (boxapp-netns).
              {"ip", nullptr}};
  if (!boxrt::path_exists(spec_path)) return out;
  const oci::Spec spec = oci::parse_spec(boxrt::read_file(spec_path), spec_path);
  json mounts = json::array();
  for (const auto& m : spec.mounts ? *spec.mounts : std::vector<oci::Mount>{})
    mounts.push_back({{"destination", m.destination},
                      {"type", m.type.value_or("")},
                      {"source", m.source.value_or("")},
                      {"options", m.options.value_or(oci::StringList{})}});
  out["mounts"] = mounts;
  const char* home = std::getenv("HOME");
  out["grants"] = grants_of(spec, home ? home : "/nonexistent");
  return out;
}

}  // namespace boxapp
