// compile_profile: a profile's sections, one compiler each, in the order they build the
// spec; and the ${...} variables a profile's paths and values may use.
#include "compile/compile.hpp"

#include "compile/shared_files.hpp"
#include "compile/spec_parts.hpp"
#include "init/plan.hpp"
#include "util/error.hpp"

namespace boxapp {
namespace {

using boxrt::backquoted;
using boxrt::Error;

}  // namespace

std::string expand(const std::string& text, const Profile& p, const HostFacts& h,
                   const std::string& field) {
  const std::pair<const char*, std::string> vars[] = {{"HOME", h.home},
                                                      {"UID", std::to_string(h.uid)},
                                                      {"APP", p.name},
                                                      {"XDG_RUNTIME_DIR", h.xdg_runtime_dir},
                                                      {"XDG_DATA_HOME", h.xdg_data_home},
                                                      {"DOWNLOADS", h.downloads}};
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    size_t end = text.find('}', i);
    if (end == std::string::npos) throw Error(p.file + ": " + field + ": unclosed `${`");
    const std::string name = text.substr(i + 2, end - i - 2);
    bool found = false;
    for (const auto& [n, v] : vars)
      if (name == n) out += v, found = true;
    if (!found)
      throw Error(p.file + ": " + field + ": unknown variable ${" + name +
                  "} (there are HOME, UID, APP, XDG_RUNTIME_DIR, XDG_DATA_HOME, DOWNLOADS)");
    i = end + 1;
  }
  return out;
}

oci::Spec compile_profile(const Profile& p, const HostFacts& h, const CompileOptions& o) {
  oci::Spec s;
  s.oci_version = std::string(oci::kVersion);
  s.linux = oci::Linux{};
  s.linux->namespaces = std::vector<oci::Namespace>{
      {"user", std::nullopt, {}}, {"mount", std::nullopt, {}}, {"pid", std::nullopt, {}},
      {"ipc", std::nullopt, {}},  {"uts", std::nullopt, {}},   {"cgroup", std::nullopt, {}}};
  s.annotations = std::map<std::string, std::string>{
      {kAppAnnotation, p.name}, {kBoxAnnotation, box_name(p)}, {kProfileAnnotation, p.file}};
  // The home only one box at a time may use (run/run.cpp refuses a second).
  if (p.home == HomeMode::persist) (*s.annotations)[kHomeAnnotation] = app_data_dir(p, h) + "/home";
  // A pid 1 that reaps orphans and hears SIGTERM for the app: the runtime's own, a fork
  // where an init binary in front of the app (catatonit) would cost an execve.
  if (p.init) s.annotations->emplace(boxrt::kReaperAnnotation, "1");
  compile_process(p, h, o, s);
  compile_filesystem(p, h, o, s);
  compile_display(p, h, o, s);
  compile_audio(p, h, o, s);
  compile_devices(p, h, s);
  compile_network(p, h, o, s);
  compile_security(p, s);
  compile_resources(p, s);
  compile_hooks(p, s);
  compile_dbus(p, h, o, s);
  // Last, over every other mount: what the caller's arguments name (boxapp APP -- FILE).
  if (o.args) compile_shared_files(s);
  return s;
}

}  // namespace boxapp
