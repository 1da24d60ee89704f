#include "compile/spec_parts.hpp"

#include "host/box_paths.hpp"
#include "oci/make_mount.hpp"

namespace boxapp {

oci::Mount bind_mount(const std::string& host, const std::string& container, bool read_only) {
  oci::StringList opts = {"rbind", "nosuid", "nodev"};
  opts.push_back(read_only ? "ro" : "rw");
  return oci::make_mount(container, "bind", host, opts);
}

oci::Mount socket_bind(const std::string& host, const std::string& container) {
  oci::Mount m;
  m.destination = container;
  m.type = "bind";
  m.source = host;
  m.options = oci::StringList{"bind", "nosuid", "nodev", "noexec", "ro"};
  return m;
}

void add_env(oci::Spec& s, const std::string& kv) {
  s.process->env->push_back(kv);
}

std::string box_dir(const Profile& p, const HostFacts& h, const CompileOptions& o) {
  return o.box_dir.empty() ? bundle_dir(h.xdg_runtime_dir, box_name(p)) : o.box_dir;
}

std::string app_data_dir(const Profile& p, const HostFacts& h) {
  return h.xdg_data_home + "/boxapp/" + box_name(p);
}

}  // namespace boxapp
