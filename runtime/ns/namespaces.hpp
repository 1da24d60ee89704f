// The eight kinds of namespace: their runtime-spec names, /proc/PID/ns names and clone flags.
#pragma once

#include <array>
#include <string_view>

namespace boxrt {

struct NamespaceKind {
  const char* spec_type;  // linux.namespaces[].type: "network"
  const char* proc_name;  // /proc/PID/ns/...: "net"
  int flag;               // CLONE_NEWNET
};

// User first: joining it is what grants the capabilities to join the others.
constexpr size_t kNamespaceKinds = 8;
const std::array<NamespaceKind, kNamespaceKinds>& namespace_kinds();

// 0 for a name that isn't one (the OCI model has rejected those already).
int namespace_flag(std::string_view spec_type);
// "unknown" for a flag that isn't one.
const char* namespace_spec_type(int flag);

}  // namespace boxrt
