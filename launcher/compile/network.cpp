// [network]: a network namespace of the box's own (only `lo`, or on the bridge, which
// run/bridge.cpp plumbs while the box is set up), or the host's.
#include "compile/compile.hpp"

namespace boxapp {

void compile_network(const Profile& p, oci::Spec& s) {
  if (p.network != NetworkMode::host) s.linux->namespaces->push_back({"network", std::nullopt, {}});
}

}  // namespace boxapp
