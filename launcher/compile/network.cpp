// [network]: a network namespace of the box's own (only `lo`, or on the bridge, which
// run/bridge.cpp plumbs while the box is set up), or the host's. A box on the bridge has
// its own resolv.conf (the bridge's DNS) and hosts (its own name), from its box directory,
// bound over the host image's.
#include "compile/compile.hpp"
#include "compile/spec_parts.hpp"

namespace boxapp {

void compile_network(const Profile& p, const HostFacts& h, const CompileOptions& o, oci::Spec& s) {
  if (p.network != NetworkMode::host) s.linux->namespaces->push_back({"network", std::nullopt, {}});
  if (p.network != NetworkMode::bridge) return;
  for (const char* file : kBoxNetworkFiles)
    s.mounts->push_back(
        bind_mount(box_dir(p, h, o) + "/" + file, std::string("/etc/") + file, true));
}

}  // namespace boxapp
