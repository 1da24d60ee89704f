// [network]: a network namespace of the box's own (only `lo`), or the host's.
#include "compile/compile.hpp"
#include "util/error.hpp"

namespace boxapp {
namespace {

using boxrt::Error;

}  // namespace

void compile_network(const Profile& p, oci::Spec& s) {
  auto& ns = *s.linux->namespaces;
  if (p.network == NetworkMode::bridge)
    throw Error(p.file +
                ": network.mode: \"bridge\" is not yet available (it comes with the "
                "netns helper); use \"none\" or \"host\"");
  if (p.network == NetworkMode::none) ns.push_back({"network", std::nullopt, {}});
}

}  // namespace boxapp
